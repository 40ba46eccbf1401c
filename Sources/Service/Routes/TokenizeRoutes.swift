import HTTP
import JSON
import Models
import Tokenizers

/// `POST /tokenize` and `POST /decode` with a base model's tokenizer.
///
///     {"model": NAME, "inputs": "text" | ["text", …], "add_special_tokens": true}  ->  {"ids": [..] | [[..], …]}
///     with "return_offsets": true, also "offsets": [[start, end], …] per input, in Unicode
///     scalars (code points, as Python indexes strings); special tokens get [0, 0]
///     {"model": NAME, "ids": [..] | [[..], …], "skip_special_tokens": true}         ->  {"text": "…" | ["…", …]}
struct TokenizeRoutes {
    let catalog: ModelCatalog
    let cache: TokenizerCache

    func add(to routes: inout RouteTable) {
        routes.add("POST", "/tokenize") { request, _ in try tokenize(request) }
        routes.add("POST", "/decode") { request, _ in try decode(request) }
    }

    func tokenizer(_ body: JSONObject) throws(HTTPError) -> Tokenizer {
        guard let name = body["model"]?.string, !name.isEmpty else {
            throw .badRequest("\"model\" must be the name of a base model", param: "model", code: "invalid_model")
        }
        guard let model = catalog.model(named: name) else {
            let known = catalog.models.map(\.name).joined(separator: ", ")
            throw HTTPError(.notFound, "Model \(name) does not exist; base models: \(known)", param: "model", code: "model_not_found")
        }
        do {
            // Ids as transformers gives them by default: tokenizer.json's truncation and padding
            // (MiniLM: 128) are for training batches, not for this API.
            var tokenizer = try cache.tokenizer(for: model)
            tokenizer.truncation = nil
            tokenizer.padding = nil
            return tokenizer
        } catch {
            throw HTTPError(.unprocessableContent, "Model \(name) has no usable tokenizer: \(error)", param: "model", code: "tokenizer_unavailable")
        }
    }

    static func flag(_ body: JSONObject, _ key: String, default fallback: Bool) throws(HTTPError) -> Bool {
        guard let value = body[key], !value.isNull else { return fallback }
        guard let flag = value.bool else { throw .badRequest("\"\(key)\" must be a boolean", param: key, code: "invalid_type") }
        return flag
    }

    func tokenize(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try request.jsonObject()
        let tokenizer = try tokenizer(body)
        let special = try Self.flag(body, "add_special_tokens", default: true)
        let withOffsets = try Self.flag(body, "return_offsets", default: false)
        func encode(_ text: String) -> (ids: JSONValue, offsets: JSONValue) {
            let e = withOffsets ? tokenizer.encodeWithOffsets(text, addSpecialTokens: special) : tokenizer.encode(text, addSpecialTokens: special)
            return (.array(e.ids.map { .int(Int64($0)) }),
                    .array(e.offsets.map { .array([.int(Int64($0.lowerBound)), .int(Int64($0.upperBound))]) }))
        }
        func response(_ ids: JSONValue, _ offsets: JSONValue) -> HTTPResponse {
            withOffsets ? .json(["ids": ids, "offsets": offsets]) : .json(["ids": ids])
        }
        switch body["inputs"] {
        case .string(let text)?:
            let e = encode(text)
            return response(e.ids, e.offsets)
        case .array(let items)?:
            var ids: [JSONValue] = [], offsets: [JSONValue] = []
            for (n, item) in items.enumerated() {
                guard let text = item.string else {
                    throw HTTPError.badRequest("\"inputs[\(n)]\" must be a string", param: "inputs", code: "invalid_type")
                }
                let e = encode(text)
                ids.append(e.ids)
                offsets.append(e.offsets)
            }
            return response(.array(ids), .array(offsets))
        default:
            throw HTTPError.badRequest("\"inputs\" must be a string or an array of strings", param: "inputs", code: "invalid_type")
        }
    }

    func decode(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try request.jsonObject()
        let tokenizer = try tokenizer(body)
        let skip = try Self.flag(body, "skip_special_tokens", default: true)
        func ids(_ items: [JSONValue], _ path: String) throws(HTTPError) -> [Int] {
            var ids: [Int] = []
            for (n, item) in items.enumerated() {
                guard let id = item.int, id >= 0, id < tokenizer.vocabularySize else {
                    throw .badRequest("\"\(path)[\(n)]\" must be a token id from 0 to \(tokenizer.vocabularySize - 1)", param: "ids", code: "invalid_id")
                }
                ids.append(id)
            }
            return ids
        }
        guard let items = body["ids"]?.array else {
            throw HTTPError.badRequest("\"ids\" must be an array of ids or an array of arrays of ids", param: "ids", code: "invalid_type")
        }
        if !items.isEmpty, items.allSatisfy({ $0.array != nil }) {
            var texts: [JSONValue] = []
            for (n, item) in items.enumerated() { texts.append(.string(tokenizer.decode(try ids(item.array!, "ids[\(n)]"), skipSpecialTokens: skip))) }
            return .json(["text": .array(texts)])
        }
        return .json(["text": .string(tokenizer.decode(try ids(items, "ids"), skipSpecialTokens: skip))])
    }
}
