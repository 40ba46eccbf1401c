// Reading the request line and header fields (RFC 9112 sections 2-3, 5-6).

extension RequestParser {
    struct ParsedHead {
        var head: HTTPRequestHead
        var framing: Framing
        var expectsContinue: Bool
    }

    /// Parses the head at `start` if it is complete. The limit checks run in the same order whether the head
    /// is complete or not, so the outcome doesn't depend on how the bytes were split across appends.
    mutating func parseHead() throws(HTTPParseError) -> ParsedHead? {
        if scanned == 0 {
            // RFC 9112 2.2: ignore empty lines before the request line.
            while start < buffer.count && (buffer[start] == ASCII.cr || buffer[start] == ASCII.lf) { start += 1 }
        }
        let headEnd = findBlankLine()
        let end = headEnd ?? buffer.count
        guard end > start else { return nil }
        try checkRequestLine(upTo: end)
        guard let headEnd else {
            if end - start > maxHeaderBytes { throw tooLarge() }
            return nil
        }
        if headEnd - start > maxHeaderBytes { throw tooLarge() }
        let parsed = try Self.parseHead(buffer, start..<headEnd)
        start = headEnd
        scanned = 0
        return parsed
    }

    func tooLarge() -> HTTPParseError {
        HTTPParseError(status: .requestHeaderFieldsTooLarge, reason: "request head over \(maxHeaderBytes) bytes")
    }

    /// Rejects an over-long method (400) or request-target (414) from the buffered prefix of the request line.
    func checkRequestLine(upTo end: Int) throws(HTTPParseError) {
        let available = end - start
        guard available > Self.maxMethodBytes else { return }  // neither limit can be passed yet
        var i = start
        let methodEnd = start + Self.maxMethodBytes + 1
        while i < methodEnd && buffer[i] != ASCII.space && buffer[i] != ASCII.lf && buffer[i] != ASCII.cr { i += 1 }
        if i == methodEnd { throw .badRequest("method longer than \(Self.maxMethodBytes) bytes") }
        guard buffer[i] == ASCII.space, available > Self.maxTargetBytes else { return }
        i += 1
        let targetStart = i
        let targetEnd = min(end, targetStart + Self.maxTargetBytes + 1)
        while i < targetEnd && buffer[i] != ASCII.space && buffer[i] != ASCII.lf && buffer[i] != ASCII.cr { i += 1 }
        if i - targetStart > Self.maxTargetBytes {
            throw HTTPParseError(status: .uriTooLong, reason: "request-target over \(Self.maxTargetBytes) bytes")
        }
    }

    /// The content of the line starting at `i` (without CRLF or LF) and the index of the next line.
    /// Every line of a complete head ends with LF.
    @inline(__always)
    static func line(_ bytes: [UInt8], from i: Int) -> (content: Range<Int>, next: Int) {
        var lf = i
        while bytes[lf] != ASCII.lf { lf += 1 }
        let contentEnd = lf > i && bytes[lf - 1] == ASCII.cr ? lf - 1 : lf
        return (i..<contentEnd, lf + 1)
    }

    static func parseHead(_ bytes: [UInt8], _ range: Range<Int>) throws(HTTPParseError) -> ParsedHead {
        // Request line: method SP request-target SP HTTP-version
        let (requestLine, afterRequestLine) = line(bytes, from: range.lowerBound)
        var i = requestLine.lowerBound
        let lineEnd = requestLine.upperBound
        while i < lineEnd && ASCII.isTokenChar(bytes[i]) { i += 1 }
        guard i > requestLine.lowerBound, i < lineEnd, bytes[i] == ASCII.space else {
            throw .badRequest("malformed request line")
        }
        let method = String(decoding: bytes[requestLine.lowerBound..<i], as: UTF8.self)
        i += 1
        let targetStart = i
        while i < lineEnd && bytes[i] > ASCII.space && bytes[i] != 0x7F { i += 1 }
        guard i > targetStart, i < lineEnd, bytes[i] == ASCII.space else {
            throw .badRequest("malformed request-target")
        }
        let targetRange = targetStart..<i
        let versionMinor = try version(bytes, i + 1..<lineEnd)

        // Header fields
        var headers = HTTPHeaders()
        headers.fields.reserveCapacity(8)
        var contentLength: Int? = nil
        var transferEncoding: String? = nil
        var hosts = 0
        var expectsContinue = false
        var next = afterRequestLine
        while true {
            let (content, after) = line(bytes, from: next)
            next = after
            if content.isEmpty { break }
            let field = try Self.field(bytes, content)
            let name = field.name, value = field.value
            let fieldName = String(decoding: bytes[name], as: UTF8.self)
            let fieldValue = String(decoding: bytes[value], as: UTF8.self)
            headers.fields.append((name: fieldName, value: fieldValue))
            switch name.count {
            case 4 where ASCII.equalsIgnoringCase(bytes, name, "host"):
                hosts += 1
            case 6 where ASCII.equalsIgnoringCase(bytes, name, "expect"):
                expectsContinue = ASCII.equalsIgnoringCase(bytes, value, "100-continue")
            case 14 where ASCII.equalsIgnoringCase(bytes, name, "content-length"):
                let length = try Self.contentLength(bytes, value)
                if let contentLength, contentLength != length { throw .badRequest("conflicting Content-Length") }
                contentLength = length
            case 17 where ASCII.equalsIgnoringCase(bytes, name, "transfer-encoding"):
                transferEncoding = transferEncoding.map { $0 + ", " + fieldValue } ?? fieldValue
            default:
                break
            }
        }

        if hosts > 1 { throw .badRequest("more than one Host") }
        if hosts == 0 && versionMinor >= 1 { throw .badRequest("missing Host") }
        var framing = Framing.none
        if let transferEncoding {
            if contentLength != nil { throw .badRequest("both Content-Length and Transfer-Encoding") }
            if versionMinor == 0 { throw .badRequest("Transfer-Encoding in an HTTP/1.0 request") }
            guard ASCII.equalsIgnoringCase(transferEncoding, "chunked") else {
                throw HTTPParseError(status: .notImplemented, reason: "unsupported Transfer-Encoding")
            }
            framing = .chunked
        } else if let contentLength, contentLength > 0 {
            framing = .length(contentLength)
        }

        let target = String(decoding: bytes[targetRange], as: UTF8.self)
        let (path, query) = try Self.pathAndQuery(bytes, targetRange)
        let head = HTTPRequestHead(
            method: method, target: target, path: path, query: query, versionMinor: versionMinor, headers: headers)
        // RFC 9110 10.1.1: a server ignores 100-continue from an HTTP/1.0 client.
        return ParsedHead(head: head, framing: framing, expectsContinue: expectsContinue && versionMinor >= 1)
    }

    /// `HTTP/1.0` → 0, `HTTP/1.1` → 1; a later 1.x is handled as 1.1 (RFC 9110 2.5); other versions 505.
    static func version(_ bytes: [UInt8], _ range: Range<Int>) throws(HTTPParseError) -> Int {
        let v = range.lowerBound
        guard range.count == 8, bytes[v] == 0x48, bytes[v + 1] == 0x54, bytes[v + 2] == 0x54, bytes[v + 3] == 0x50,
            bytes[v + 4] == ASCII.slash, bytes[v + 6] == 0x2E,
            let major = ASCII.hexValue(bytes[v + 5]), major < 10, let minor = ASCII.hexValue(bytes[v + 7]), minor < 10
        else { throw .badRequest("malformed HTTP version") }
        guard major == 1 else {
            throw HTTPParseError(status: .httpVersionNotSupported, reason: "HTTP/\(major).\(minor) not supported")
        }
        return min(minor, 1)
    }

    /// Splits `name: value`; the name must be a token directly followed by the colon, the value is trimmed of OWS
    /// and may not contain control characters other than tab.
    static func field(_ bytes: [UInt8], _ content: Range<Int>) throws(HTTPParseError) -> (name: Range<Int>, value: Range<Int>) {
        var i = content.lowerBound
        if ASCII.isWhitespace(bytes[i]) { throw .badRequest("obsolete line folding") }
        while i < content.upperBound && ASCII.isTokenChar(bytes[i]) { i += 1 }
        guard i < content.upperBound, i > content.lowerBound, bytes[i] == ASCII.colon else {
            if i < content.upperBound && ASCII.isWhitespace(bytes[i]) {
                throw .badRequest("whitespace before colon in header field")
            }
            throw .badRequest("malformed header field")
        }
        let name = content.lowerBound..<i
        let value = ASCII.trim(bytes, i + 1..<content.upperBound)
        for j in value {
            let b = bytes[j]
            if (b < ASCII.space && b != ASCII.tab) || b == 0x7F { throw .badRequest("control character in header value") }
        }
        return (name, value)
    }

    static func contentLength(_ bytes: [UInt8], _ range: Range<Int>) throws(HTTPParseError) -> Int {
        guard !range.isEmpty, range.count <= 18 else { throw .badRequest("invalid Content-Length") }
        var n = 0
        for i in range {
            let d = bytes[i] &- 0x30
            guard d < 10 else { throw .badRequest("invalid Content-Length") }
            n = n * 10 + Int(d)
        }
        return n
    }

    /// Origin-form (`/p?q`), asterisk-form (`*`) or absolute-form (`http://host/p?q`, whose authority is dropped).
    static func pathAndQuery(_ bytes: [UInt8], _ target: Range<Int>) throws(HTTPParseError) -> (String, [(String, String)]) {
        var pathStart = target.lowerBound
        if bytes[pathStart] != ASCII.slash {
            if target.count == 1 && bytes[pathStart] == 0x2A { return ("*", []) }
            // absolute-form: scheme "://" authority [path]
            var i = pathStart
            while i < target.upperBound && bytes[i] != ASCII.colon && bytes[i] != ASCII.slash { i += 1 }
            guard i > pathStart, i + 2 < target.upperBound, bytes[i] == ASCII.colon,
                bytes[i + 1] == ASCII.slash, bytes[i + 2] == ASCII.slash
            else { throw .badRequest("unsupported request-target form") }
            i += 3
            while i < target.upperBound && bytes[i] != ASCII.slash && bytes[i] != ASCII.question { i += 1 }
            pathStart = i
        }
        var question = pathStart
        while question < target.upperBound && bytes[question] != ASCII.question { question += 1 }
        let path = question == pathStart ? "/" : try URLDecoding.path(bytes, pathStart..<question)
        let query = question < target.upperBound ? URLDecoding.query(bytes, question + 1..<target.upperBound) : []
        return (path, query)
    }
}
