/// An `http://` or `https://` URL as a client needs it: scheme, host, port and the request
/// target (path and query). User info and fragments are refused.
public struct ClientURL: Sendable, Equatable, CustomStringConvertible {
    public let isSecure: Bool
    /// The host without brackets: `example.com`, `203.0.113.7` or `2001:db8::1`.
    public let host: String
    public let port: Int
    /// Path and query, at least `/`.
    public let target: String

    public init(_ text: String) throws(HTTPClientError) {
        let lower = text.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            (isSecure, rest) = (true, text.dropFirst(8))
        } else if lower.hasPrefix("http://") {
            (isSecure, rest) = (false, text.dropFirst(7))
        } else {
            throw .invalidURL(text, "only http:// and https:// URLs are supported")
        }
        guard !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7f }) else { throw .invalidURL(text, "it contains spaces or control characters") }
        guard !rest.contains("#") else { throw .invalidURL(text, "it has a fragment") }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]
        target = path.isEmpty ? "/" : (path.hasPrefix("?") ? "/" + path : String(path))
        guard !authority.contains("@") else { throw .invalidURL(text, "user names and passwords in URLs are not supported") }
        var hostPart = authority, portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(text, "an IPv6 host lacks its closing bracket") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidURL(text, "unexpected text after the IPv6 host") }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw .invalidURL(text, "it has no host") }
        host = hostPart.lowercased()
        if let portPart {
            guard let port = Int(portPart), (1...65535).contains(port) else { throw .invalidURL(text, "the port must be 1 to 65535") }
            self.port = port
        } else {
            port = isSecure ? 443 : 80
        }
    }

    /// What the `Host` header carries: the port only when it is not the scheme's default.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (isSecure ? 443 : 80) ? name : "\(name):\(port)"
    }

    public var description: String { (isSecure ? "https://" : "http://") + hostHeader + target }
}
