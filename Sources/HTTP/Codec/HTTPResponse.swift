/// A body written while it is sent (server-sent events, downloads). `produce` runs on a handler
/// thread and calls `write` for each piece; `write` blocks while the client is slow and throws
/// once the client is gone. The server frames the pieces (chunked for HTTP/1.1).
public struct HTTPBodyStream: Sendable {
    public let produce: @Sendable (_ write: (_ bytes: [UInt8]) throws -> Void) throws -> Void
    /// A stream that lasts as long as its client wants (an event stream) runs on a thread of its
    /// own instead of holding one of the server's handler threads.
    public let longLived: Bool

    public init(longLived: Bool = false, _ produce: @escaping @Sendable (_ write: (_ bytes: [UInt8]) throws -> Void) throws -> Void) {
        self.produce = produce
        self.longLived = longLived
    }
}

/// A response ready to be encoded into bytes.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// When set, the body is streamed instead of `body`.
    public var stream: HTTPBodyStream?

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: HTTPStatus = .ok, contentType: String, body: String) {
        self.init(status: status, headers: ["Content-Type": contentType], body: Array(body.utf8))
    }

    /// A streamed response: `Transfer-Encoding: chunked` (HTTP/1.1) and no `Content-Length`.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), stream: HTTPBodyStream) {
        self.init(status: status, headers: headers)
        self.stream = stream
    }

    /// The status line, the headers, `Content-Length` (unless 1xx, 204 or 304), `Connection: close` when
    /// `!keepAlive` (or `Connection: keep-alive` for an HTTP/1.0 client kept alive), then the body
    /// (left out when `headOnly`, e.g. for HEAD, and for statuses that forbid one).
    ///
    /// The encoder owns framing: any `Content-Length`, `Transfer-Encoding` or `Connection` in `headers` is
    /// replaced by its own. CR and LF inside header names or values are written as spaces, so a value taken
    /// from a request cannot split the response.
    public func encoded(keepAlive: Bool, versionMinor: Int = 1, headOnly: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + headers.count * 32 + (headOnly ? 0 : body.count))
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        Self.appendDecimal(status.code, to: &out)
        out.append(ASCII.space)
        Self.appendSanitized(status.reason, to: &out)
        out.append(contentsOf: [ASCII.cr, ASCII.lf])

        for (name, value) in headers {
            if ASCII.equalsIgnoringCase(name, "Content-Length") || ASCII.equalsIgnoringCase(name, "Connection")
                || ASCII.equalsIgnoringCase(name, "Transfer-Encoding")
            {
                continue
            }
            Self.appendSanitized(name, to: &out)
            out.append(contentsOf: [ASCII.colon, ASCII.space])
            Self.appendSanitized(value, to: &out)
            out.append(contentsOf: [ASCII.cr, ASCII.lf])
        }
        if stream != nil {
            // HTTP/1.0 has no chunked coding: the end of the connection ends the body.
            if versionMinor >= 1 { out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8) }
        } else if !status.forbidsBody {
            out.append(contentsOf: "Content-Length: ".utf8)
            Self.appendDecimal(body.count, to: &out)
            out.append(contentsOf: [ASCII.cr, ASCII.lf])
        }
        if !keepAlive || (stream != nil && versionMinor == 0) {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if versionMinor == 0 {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: [ASCII.cr, ASCII.lf])
        if !headOnly && !status.forbidsBody && stream == nil { out.append(contentsOf: body) }
        return out
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 0 {
            out.append(ASCII.hyphen)
            appendDecimal(0 - value, to: &out)
            return
        }
        if value >= 10 { appendDecimal(value / 10, to: &out) }
        out.append(UInt8(truncatingIfNeeded: 0x30 + value % 10))
    }

    static func appendSanitized(_ text: String, to out: inout [UInt8]) {
        let utf8 = text.utf8
        if !utf8.contains(where: { $0 == ASCII.cr || $0 == ASCII.lf || $0 == 0 }) {
            out.append(contentsOf: utf8)
            return
        }
        for b in utf8 { out.append(b == ASCII.cr || b == ASCII.lf || b == 0 ? ASCII.space : b) }
    }
}
