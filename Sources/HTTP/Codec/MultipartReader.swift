/// `multipart/form-data` read as it arrives: feed the body in pieces of any size, get each part's
/// headers, its body in pieces, and its end. Only an unfinished delimiter or header block is held
/// back, so a part of any size passes through in bounded memory. `Multipart.parse` is this reader
/// fed the whole body at once.
public struct MultipartReader {
    public enum Event: Sendable {
        /// A part starts: its name, filename and headers (`body` is empty; `.data` follows).
        case part(MultipartPart)
        /// The next bytes of the current part's body.
        case data([UInt8])
        /// The current part's body is complete.
        case partEnd
    }

    /// Longest header block of one part (400 beyond).
    static let maxHeaderBytes = 16 * 1024
    /// Longest transport padding (spaces, tabs) accepted after a delimiter.
    static let maxPadding = 1024

    enum Phase { case preamble, headers, body, epilogue }

    let dashBoundary: [UInt8]
    let search: ByteSearch
    var phase = Phase.preamble
    var buffer: [UInt8] = []
    var start = 0
    /// Whether preamble bytes were skipped (the body then cannot open with the delimiter).
    var skippedPreamble = false

    public init(boundary: String) throws(HTTPParseError) {
        guard !boundary.isEmpty else { throw .badRequest("empty multipart boundary") }
        dashBoundary = [ASCII.hyphen, ASCII.hyphen] + Array(boundary.utf8)
        search = ByteSearch([ASCII.cr, ASCII.lf] + dashBoundary)
    }

    /// Reads `bytes` on from where the last call stopped; returns what they complete.
    public mutating func feed(_ bytes: [UInt8]) throws(HTTPParseError) -> [Event] { try feed(bytes[...]) }

    public mutating func feed(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> [Event] {
        if start > 0 && (start == buffer.count || start >= 64 * 1024) {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
        var events: [Event] = []
        while try step(&events) {}
        return events
    }

    /// The body ended: throws unless the closing delimiter was seen.
    public func finish() throws(HTTPParseError) {
        switch phase {
        case .epilogue: return
        case .preamble: throw .badRequest("multipart body without its boundary")
        case .headers: throw .badRequest("unterminated multipart part headers")
        case .body: throw .badRequest("multipart body without its closing boundary")
        }
    }

    /// One step of progress; false when more bytes are needed.
    mutating func step(_ events: inout [Event]) throws(HTTPParseError) -> Bool {
        switch phase {
        case .epilogue:
            start = buffer.count  // ignored
            return false
        case .preamble:
            // The first delimiter may open the body, without the CRLF that otherwise precedes it.
            if !skippedPreamble && buffer.count < dashBoundary.count && dashBoundary.starts(with: buffer) { return false }
            if !skippedPreamble && buffer.starts(with: dashBoundary) {
                switch delimiterEnd(at: dashBoundary.count) {
                case .more: return false
                case .found(let after): return open(after)
                case .no: break
                }
            }
            switch nextDelimiter() {
            case .found(let (_, after)): return open(after)
            case .more(let safe):
                skippedPreamble = true
                start = max(start, safe)
                return false
            }
        case .headers:
            return try headers(&events)
        case .body:
            switch nextDelimiter() {
            case .found(let (end, after)):
                if end > start { events.append(.data(Array(buffer[start..<end]))) }
                events.append(.partEnd)
                return open(after)
            case .more(let safe):
                if safe > start { events.append(.data(Array(buffer[start..<safe]))) }
                start = max(start, safe)
                return false
            }
        }
    }

    /// After `--boundary`: `--` closes the body, else padding and CRLF open a part's headers.
    mutating func open(_ after: Int) -> Bool {
        if buffer[after] == ASCII.hyphen {
            phase = .epilogue
        } else {
            var i = after
            while buffer[i] != ASCII.lf { i += 1 }
            start = i + 1
            phase = .headers
        }
        return true
    }

    enum DelimiterEnd { case found(Int), no, more }

    /// Whether `--boundary` ending at `index` is a delimiter: followed by `--`, or by transport
    /// padding and CRLF. `.found` gives `index`.
    func delimiterEnd(at index: Int) -> DelimiterEnd {
        guard index + 1 < buffer.count else { return .more }
        if buffer[index] == ASCII.hyphen && buffer[index + 1] == ASCII.hyphen { return .found(index) }
        var i = index
        while i < buffer.count && ASCII.isWhitespace(buffer[i]) {
            i += 1
            if i - index > Self.maxPadding { return .no }
        }
        guard i + 1 < buffer.count else { return .more }
        return buffer[i] == ASCII.cr && buffer[i + 1] == ASCII.lf ? .found(index) : .no
    }

    enum Search { case found((Int, Int)), more(safe: Int) }

    /// The next real `CRLF--boundary` from `start`: where it starts and where its `--boundary`
    /// ends; or how far the bytes are surely not part of one.
    func nextDelimiter() -> Search {
        var from = start
        while let at = search.firstIndex(in: buffer, from: from) {
            switch delimiterEnd(at: at + search.needle.count) {
            case .found(let after): return .found((at, after))
            case .more: return .more(safe: at)
            case .no: from = at + 1
            }
        }
        return .more(safe: max(from, buffer.count - (search.needle.count - 1)))
    }

    /// A part's header block, once its blank line has arrived.
    mutating func headers(_ events: inout [Event]) throws(HTTPParseError) -> Bool {
        var headers = HTTPHeaders()
        var position = start
        while true {
            guard let lf = buffer[position...].firstIndex(of: ASCII.lf) else {
                if buffer.count - start > Self.maxHeaderBytes { throw .badRequest("multipart part headers over \(Self.maxHeaderBytes) bytes") }
                return false
            }
            let contentEnd = lf > position && buffer[lf - 1] == ASCII.cr ? lf - 1 : lf
            let content = position..<contentEnd
            position = lf + 1
            if content.isEmpty { break }
            let (name, value) = try RequestParser.field(buffer, content)
            headers.add(String(decoding: buffer[name], as: UTF8.self), String(decoding: buffer[value], as: UTF8.self))
        }
        if position - start > Self.maxHeaderBytes { throw .badRequest("multipart part headers over \(Self.maxHeaderBytes) bytes") }
        events.append(.part(try Multipart.part(headers: headers, body: [])))
        start = position
        phase = .body
        return true
    }
}
