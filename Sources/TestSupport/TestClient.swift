import HTTP
import JSON
import Platform

/// A blocking HTTP/1.1 client over one TCP connection, for tests: send raw bytes or requests,
/// read whole responses (Content-Length bodies).
public final class TestClient {
    public struct Response {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        public var json: JSONValue { (try? JSONValue(parsing: body)) ?? .null }
    }

    public let socket: Socket
    private var buffer: [UInt8] = []

    public init(port: Int, timeout: Double = 10) throws {
        socket = try Socket.connect(host: "127.0.0.1", port: port)
        socket.setReceiveTimeout(seconds: timeout)
    }

    deinit { socket.close() }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let result = try bytes.withUnsafeBytes { raw throws(Errno) in
                try socket.write(UnsafeRawBufferPointer(rebasing: raw[offset...]))
            }
            guard case .bytes(let n) = result else { throw Errno.wouldBlock }
            offset += n
        }
    }

    /// One request with `Content-Length`; `headers` are added as given.
    public func request(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []) throws -> Response {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: test\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        try send(Array((head + "\r\n").utf8) + body)
        guard let response = try readResponse() else { throw Errno.connectionReset }
        return response
    }

    /// The next response, or nil when the server closed the connection first.
    public func readResponse() throws -> Response? {
        guard var response = try readStreamHead() else { return nil }
        if response.headers["Transfer-Encoding"]?.lowercased() == "chunked" {
            guard let body = try readChunkedBody() else { return nil }
            response.body = body
            return response
        }
        let status = response.status
        if let length = response.headers["Content-Length"].flatMap({ Int($0) }) ?? (status < 200 || status == 204 ? 0 : nil) {
            while buffer.count < length {
                guard try fill() else { return nil }
            }
            response.body = Array(buffer[0..<length])
            buffer.removeFirst(length)
            return response
        }
        while try fill() {}  // no length: the body ends with the connection
        defer { buffer.removeAll() }
        response.body = buffer
        return response
    }

    /// The head of a streamed (chunked) response; its body follows through `nextChunk()`.
    public func readStreamHead() throws -> Response? {
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
                let statusLine = lines.removeFirst().split(separator: " ")
                var headers = HTTPHeaders()
                for line in lines where !line.isEmpty {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers.add(String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
                }
                buffer.removeFirst(end + 4)
                return Response(status: Int(statusLine[1]) ?? 0, headers: headers, body: [])
            }
            guard try fill() else { return nil }
        }
    }

    /// The next chunk of a chunked body; empty for the last one, nil when the connection ends
    /// (or the read times out) first.
    public func nextChunk() throws -> [UInt8]? {
        guard let lineEnd = try line() else { return nil }
        let size = Int(String(decoding: buffer[..<lineEnd], as: UTF8.self), radix: 16) ?? 0
        buffer.removeFirst(lineEnd + 2)
        while buffer.count < size + 2 {
            guard try fill() else { return nil }
        }
        let chunk = Array(buffer[0..<size])
        buffer.removeFirst(size + 2)
        return chunk
    }

    /// Whether the server has closed the connection (reads end of stream within the timeout).
    public func isClosedByServer() -> Bool {
        (try? fill()) == false
    }

    /// Decodes a chunked body; nil when the connection ends before the last chunk.
    private func readChunkedBody() throws -> [UInt8]? {
        var body: [UInt8] = []
        while let chunk = try nextChunk() {
            if chunk.isEmpty { return body }
            body += chunk
        }
        return nil
    }

    private func line() throws -> Int? {
        while true {
            if buffer.count >= 2, let i = (0..<(buffer.count - 1)).first(where: { buffer[$0] == 13 && buffer[$0 + 1] == 10 }) {
                return i
            }
            guard try fill() else { return nil }
        }
    }

    private func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let result = try chunk.withUnsafeMutableBytes { raw throws(Errno) in try socket.read(into: raw) }
        switch result {
        case .bytes(let n):
            buffer.append(contentsOf: chunk[0..<n])
            return true
        case .closed, .wouldBlock:
            return false
        }
    }
}
