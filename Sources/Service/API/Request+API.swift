import HTTP
import JSON

extension HTTPRequest {
    /// The body as a JSON object, or a 400 saying what is wrong with it. An empty body is `{}`.
    func jsonObject() throws(HTTPError) -> JSONObject {
        if body.isEmpty || body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return JSONObject() }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: body)
        } catch {
            throw HTTPError.badRequest("The request body is not valid JSON: \(error.reason) at byte \(error.offset)", code: "invalid_json")
        }
        guard let object = value.object else {
            throw HTTPError.badRequest("The request body must be a JSON object, not \(value.typeName)", code: "invalid_json")
        }
        return object
    }
}

/// `limit` and `after` of list endpoints.
struct Page {
    var limit: Int
    var after: String?

    init(_ request: HTTPRequest, defaultLimit: Int = 20, maxLimit: Int = 100) throws(HTTPError) {
        after = request.queryValue("after").flatMap { $0.isEmpty ? nil : $0 }
        guard let text = request.queryValue("limit") else {
            limit = defaultLimit
            return
        }
        guard let value = Int(text), value >= 1, value <= maxLimit else {
            throw HTTPError.badRequest("limit must be an integer from 1 to \(maxLimit)", param: "limit", code: "invalid_limit")
        }
        limit = value
    }

    /// `{"object":"list","data":[...],"has_more":...}` from up to `limit + 1` fetched items.
    func list(_ items: [JSONValue]) -> HTTPResponse {
        var object: JSONObject = ["object": "list", "data": .array(Array(items.prefix(limit))), "has_more": .bool(items.count > limit)]
        if let first = items.first?["id"] { object["first_id"] = first }
        if let last = items.prefix(limit).last?["id"] { object["last_id"] = last }
        return .json(.object(object))
    }
}

extension RequestContext {
    /// The authenticated tenant; routes behind the auth middleware always have one.
    var tenant: String { principal ?? "" }
}
