/// Reads one HTTP/1.x response from a channel: the status line and headers, then a body framed
/// by `Content-Length`, `Transfer-Encoding: chunked` or the end of the connection.
struct ResponseReader {
    let channel: ByteChannel
    /// Seconds each read may wait, and the time (`MonotonicClock`) the whole response must be in by.
    let idle: Double
    let deadline: Double?
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false

    /// A response's status lines and headers together may take at most this many bytes.
    static let maxHead = 64 * 1024
    static let maxHeaders = 100
    /// `100 Continue` and other interim responses before the real one.
    static let maxInterim = 5

    init(channel: ByteChannel, idle: Double, deadline: Double?) { (self.channel, self.idle, self.deadline) = (channel, idle, deadline) }

    mutating func readHead() throws -> HTTPClient.Response {
        var budget = Self.maxHead
        for _ in 0...Self.maxInterim {
            let end = try line(limit: budget)
            guard let statusLine = end else { throw HTTPClientError.badResponse("the connection closed before a response") }
            budget -= statusLine.utf8.count + 2
            let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100...999).contains(status) else {
                throw HTTPClientError.badResponse("not an HTTP/1.x status line: \(statusLine.prefix(80))")
            }
            var headers: [(name: String, value: String)] = []
            while let header = try line(limit: budget), !header.isEmpty {
                budget -= header.utf8.count + 2
                guard headers.count < Self.maxHeaders else { throw HTTPClientError.badResponse("more than \(Self.maxHeaders) headers") }
                guard let colon = header.firstIndex(of: ":") else { throw HTTPClientError.badResponse("a header line without a colon") }
                headers.append((String(header[..<colon]), header[header.index(after: colon)...].trimmingSpaces()))
            }
            if (100...199).contains(status) && status != 101 { continue }  // 100 Continue: the real response follows
            return HTTPClient.Response(status: status, headers: headers, body: [])
        }
        throw HTTPClientError.badResponse("more than \(Self.maxInterim) interim responses")
    }

    /// Hands the body to `take` piece by piece until it ends or `take` returns false.
    mutating func readBody(head: HTTPClient.Response, isHead: Bool, _ take: ([UInt8]) throws -> Bool) throws {
        if isHead || head.status == 204 || head.status == 304 { return }
        if head.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            while true {
                guard let sizeLine = try line(limit: 1024) else { throw HTTPClientError.badResponse("the connection closed inside a chunked body") }
                let digits = sizeLine.split(separator: ";").first.map { $0.trimmingSpaces() } ?? ""
                guard let size = Int(digits, radix: 16), size >= 0 else { throw HTTPClientError.badResponse("bad chunk size \(sizeLine.prefix(20))") }
                if size == 0 { return }
                var left = size
                while left > 0 {
                    let piece = try next(upTo: left)
                    guard !piece.isEmpty else { throw HTTPClientError.badResponse("the connection closed inside a chunk") }
                    left -= piece.count
                    if try !take(piece) { return }
                }
                _ = try line(limit: 2)
            }
        }
        if let length = head.header("Content-Length").flatMap({ Int($0.trimmingSpaces()) }) {
            var left = length
            while left > 0 {
                let piece = try next(upTo: left)
                guard !piece.isEmpty else { throw HTTPClientError.badResponse("the connection closed \(left) bytes before the body's end") }
                left -= piece.count
                if try !take(piece) { return }
            }
            return
        }
        while true {
            let piece = try next(upTo: 64 * 1024)
            if piece.isEmpty { return }
            if try !take(piece) { return }
        }
    }

    /// The next line without its CRLF (or LF); nil at the end of the stream.
    private mutating func line(limit: Int) throws -> String? {
        var scanned = 0  // bytes after `start` known to hold no newline (`fill` may move `start`)
        while true {
            if let newline = buffer[(start + scanned)...].firstIndex(of: 10) {
                var end = newline
                if end > start && buffer[end - 1] == 13 { end -= 1 }
                let text = String(decoding: buffer[start..<end], as: UTF8.self)
                start = newline + 1
                return text
            }
            scanned = buffer.count - start
            guard scanned <= limit else { throw HTTPClientError.badResponse("a line longer than \(limit) bytes") }
            guard try fill() else { return nil }
        }
    }

    /// Up to `count` buffered or newly read bytes; empty at the end of the stream.
    private mutating func next(upTo count: Int) throws -> [UInt8] {
        if start == buffer.count { guard try fill() else { return [] } }
        let end = min(buffer.count, start + count)
        defer { start = end }
        return Array(buffer[start..<end])
    }

    private mutating func fill() throws -> Bool {
        if ended { return false }
        if start > 0 { buffer.removeSubrange(0..<start); start = 0 }
        try channel.limit(idle: idle, deadline: deadline)
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let n = try chunk.withUnsafeMutableBytes { raw throws(HTTPClientError) in try channel.read(into: raw) }
        if n == 0 { ended = true; return false }
        buffer += chunk[0..<n]
        return true
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
