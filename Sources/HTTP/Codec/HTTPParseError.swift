/// Why a request could not be parsed, and the status to answer with before closing the connection.
///
/// `status` is one of 400, 413, 414, 431, 501 or 505.
public struct HTTPParseError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPStatus
    public var reason: String

    public init(status: HTTPStatus, reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status): \(reason)" }

    static func badRequest(_ reason: String) -> HTTPParseError { HTTPParseError(status: .badRequest, reason: reason) }
}
