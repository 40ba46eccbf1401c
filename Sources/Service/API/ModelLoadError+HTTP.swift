import HTTP
import Models

/// A model that cannot be loaded is the request's problem (400: it names a model that cannot do
/// what it asks), unknown (404), or the server's (500: stored weights lost), always with
/// `param: model` and the error's code.
extension ModelLoadError: HTTPResponseError {
    public var status: HTTPStatus {
        switch code {
        case .notFound: .notFound
        case .unavailable: .internalServerError
        case .unsupported, .notGenerative, .withoutHead: .badRequest
        }
    }

    public var http: HTTPError {
        code == .notFound ? HTTPError.notFound(message, param: "model") : HTTPError(status, message, param: "model", code: code.rawValue)
    }

    public func response(requestID: String) -> HTTPResponse { http.response(requestID: requestID) }
}
