import Platform

/// A small blocking HTTP/1.1 client: one request per connection (`Connection: close`), plain
/// or TLS, with a deadline for connecting and for each read and write. Webhook delivery and
/// the `anneal` CLI use it.
public struct HTTPClient: Sendable {
    public struct Response: Sendable {
        public let status: Int
        public let headers: [(name: String, value: String)]
        /// At most `maxBodyBytes`; empty from `stream`.
        public let body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// Seconds allowed to connect, and for each read or write after that.
    public var timeout: Double
    /// Seconds the whole request may take, from resolving the host to the body's end (nil: no
    /// limit, for a stream of events).
    public var totalTimeout: Double?
    /// Bytes of body kept; the rest is read no further.
    public var maxBodyBytes: Int
    /// Whether the client may connect to an address; refused ones are skipped, and when every
    /// address of the host is refused the request fails with `.refusedAddress`.
    public var allows: @Sendable (NetworkAddress) -> Bool
    /// PEM certificates to trust for https instead of the system's roots.
    public var caFile: String?

    public init(timeout: Double = 10, totalTimeout: Double? = nil, maxBodyBytes: Int = 16 << 20, caFile: String? = nil,
                allows: @escaping @Sendable (NetworkAddress) -> Bool = { _ in true }) {
        (self.timeout, self.totalTimeout, self.maxBodyBytes, self.caFile, self.allows) = (timeout, totalTimeout, maxBodyBytes, caFile, allows)
    }

    /// Sends one request and reads the response, its body kept up to `maxBodyBytes`.
    public func send(_ method: String, _ url: ClientURL, headers: [(String, String)] = [], body: [UInt8] = []) throws -> Response {
        var collected: [UInt8] = []
        let head = try perform(method, url, headers: headers, body: body, onHead: { _ in }) { chunk in
            collected += chunk.prefix(maxBodyBytes - collected.count)
            return collected.count < maxBodyBytes
        }
        return Response(status: head.status, headers: head.headers, body: collected)
    }

    /// Sends one request and hands the body over as it arrives (after `onHead`), for a
    /// server-sent event stream; returns the head.
    @discardableResult
    public func stream(_ method: String, _ url: ClientURL, headers: [(String, String)] = [], body: [UInt8] = [],
                       onHead: (Response) throws -> Void, onBody: ([UInt8]) throws -> Void) throws -> Response {
        try perform(method, url, headers: headers, body: body, onHead: onHead) { chunk in
            try onBody(chunk)
            return true
        }
    }

    private func perform(_ method: String, _ url: ClientURL, headers: [(String, String)], body: [UInt8],
                         onHead: (Response) throws -> Void, take: ([UInt8]) throws -> Bool) throws -> Response {
        let deadline = totalTimeout.map { MonotonicClock.now + $0 }
        let channel = try open(url, deadline: deadline)
        defer { channel.close() }
        var head = "\(method) \(url.target) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nConnection: close\r\n"
        var sentLength = false
        for (name, value) in headers {
            guard !(name + value).contains(where: { $0 == "\r" || $0 == "\n" }) else { throw HTTPClientError.badResponse("header \(name) has a line break") }
            head += "\(name): \(value)\r\n"
            if name.lowercased() == "content-length" { sentLength = true }
        }
        if !sentLength && (!body.isEmpty || method == "POST" || method == "PUT") { head += "Content-Length: \(body.count)\r\n" }
        try channel.limit(idle: timeout, deadline: deadline)
        try channel.write(Array((head + "\r\n").utf8) + body)
        var reader = ResponseReader(channel: channel, idle: timeout, deadline: deadline)
        let response = try reader.readHead()
        try onHead(response)
        try reader.readBody(head: response, isHead: method == "HEAD", take)
        return response
    }

    /// A connection to the first allowed address of the host that accepts, TLS for https.
    private func open(_ url: ClientURL, deadline: Double?) throws(HTTPClientError) -> ByteChannel {
        let addresses: [NetworkAddress]
        do { addresses = try NetworkAddress.resolve(host: url.host, port: url.port) } catch { throw .resolve(error.description) }
        let allowed = addresses.filter(allows)
        guard !allowed.isEmpty else { throw .refusedAddress(host: url.host, address: addresses[0].ip) }
        var failure = HTTPClientError.connect("no address")
        for address in allowed {
            do {
                let left = deadline.map { $0 - MonotonicClock.now } ?? timeout
                guard left > 0 else { throw HTTPClientError.timedOut }
                let socket = try Socket.connect(to: address, timeout: min(timeout, left))
                return url.isSecure ? try TLSChannel(socket: socket, host: url.host, caFile: caFile) : PlainChannel(socket)
            } catch let error as Errno {
                failure = error.rawValue == 110 ? .timedOut : .connect("\(address): \(error)")
            } catch let error as HTTPClientError {
                throw error  // a TLS failure is the server's answer, not a reason to try another address
            } catch {
                failure = .connect("\(error)")
            }
        }
        throw failure
    }
}
