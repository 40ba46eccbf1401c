import Platform

/// Why a request got no HTTP response.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL(String, String)
    case resolve(String)
    /// Every address of the host was refused by the client's address policy.
    case refusedAddress(host: String, address: String)
    case connect(String)
    case timedOut
    case tls(String)
    /// The peer's bytes were not an HTTP/1.x response, or the connection closed mid-response.
    case badResponse(String)

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason): "invalid URL \(url): \(reason)"
        case .resolve(let reason): reason
        case .refusedAddress(let host, let address): "\(host) resolves to \(address), a private, loopback or reserved address"
        case .connect(let reason): "cannot connect: \(reason)"
        case .timedOut: "timed out"
        case .tls(let reason): "TLS: \(reason)"
        case .badResponse(let reason): "bad response: \(reason)"
        }
    }
}
