import JSON

/// An error that knows its HTTP response. Anything else thrown by a handler becomes a 500.
public protocol HTTPResponseError: Error {
    var status: HTTPStatus { get }
    func response(requestID: String) -> HTTPResponse
}

/// An API error in OpenAI's shape: `{"error":{"message","type","param","code"}}`.
public struct HTTPError: HTTPResponseError, CustomStringConvertible, Sendable {
    public var status: HTTPStatus
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?

    public init(_ status: HTTPStatus, _ message: String, param: String? = nil, code: String? = nil, type: String? = nil) {
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.type = type ?? HTTPError.defaultType(status)
    }

    public var description: String { "\(status.code) \(message)" }

    public func response(requestID: String) -> HTTPResponse {
        var error: JSONObject = ["message": .string(message), "type": .string(type)]
        error["param"] = param.map(JSONValue.string) ?? .null
        error["code"] = code.map(JSONValue.string) ?? .null
        var response = HTTPResponse.json(.object(["error": .object(error)]), status: status)
        if status == .unauthorized { response.headers.set("WWW-Authenticate", "Bearer") }
        return response
    }

    static func defaultType(_ status: HTTPStatus) -> String {
        switch status.code {
        case 401: return "authentication_error"
        case 404: return "not_found_error"
        case 408, 429, 500..<600: return status.code == 429 ? "rate_limit_error" : "server_error"
        default: return "invalid_request_error"
        }
    }

    // Common errors.
    public static func badRequest(_ message: String, param: String? = nil, code: String? = nil) -> HTTPError {
        HTTPError(.badRequest, message, param: param, code: code)
    }
    public static func notFound(_ message: String, param: String? = nil) -> HTTPError {
        HTTPError(.notFound, message, param: param, code: "not_found")
    }
}

extension HTTPParseError: HTTPResponseError {
    public func response(requestID: String) -> HTTPResponse {
        HTTPError(status, reason, code: status == .payloadTooLarge ? "payload_too_large" : nil).response(requestID: requestID)
    }
}

extension HTTPResponse {
    /// A JSON body with `Content-Type: application/json`.
    public static func json(_ value: JSONValue, status: HTTPStatus = .ok) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: headers, body: value.encodedBytes())
    }

    /// A plain-text body.
    public static func text(_ text: String, status: HTTPStatus = .ok, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, contentType: contentType, body: text)
    }
}
