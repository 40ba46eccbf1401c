/// The request line and header fields of a request.
public struct HTTPRequestHead: Sendable {
    /// The method as sent, e.g. `GET`.
    public var method: String
    /// The raw request-target, e.g. `/v1/files?purpose=fine-tune`.
    public var target: String
    /// The target before `?`, percent-decoded.
    public var path: String
    /// The query, decoded as `application/x-www-form-urlencoded`; keys like `metadata[k]` are kept literally.
    public var query: [(String, String)]
    /// `0` for HTTP/1.0, `1` for HTTP/1.1.
    public var versionMinor: Int
    public var headers: HTTPHeaders

    public init(
        method: String, target: String, path: String, query: [(String, String)] = [],
        versionMinor: Int = 1, headers: HTTPHeaders = HTTPHeaders()
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.versionMinor = versionMinor
        self.headers = headers
    }

    /// HTTP/1.1 keeps the connection open unless `Connection: close`;
    /// HTTP/1.0 only with `Connection: keep-alive` (RFC 9112 9.3).
    public var keepAlive: Bool {
        if versionMinor >= 1 { return !headers.containsToken("Connection", "close") }
        return headers.containsToken("Connection", "keep-alive")
    }

    /// The first query value for `name` (compared exactly).
    public func queryValue(_ name: String) -> String? {
        for (key, value) in query where key == name { return value }
        return nil
    }
}
