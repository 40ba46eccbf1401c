/// An incremental HTTP/1.1 request parser (RFC 9112) over a byte buffer. It does no I/O:
/// append what the socket read, then call `next()` until it returns nil.
///
/// The buffer is consumed by advancing an index and compacted only when `append` finds it mostly
/// consumed, so pipelined and keep-alive requests cost no per-request shifting.
public struct RequestParser {
    /// Longest request-target accepted (414 beyond).
    static let maxTargetBytes = 8 * 1024
    /// Longest method accepted (400 beyond); RFC 9110 sets no limit, real methods are short.
    static let maxMethodBytes = 64
    /// Longest chunk-size line, extensions included (400 beyond).
    static let maxChunkLineBytes = 4 * 1024
    /// A consumed buffer with more capacity than this is released rather than kept for reuse.
    static let keptCapacity = 64 * 1024

    let maxHeaderBytes: Int
    let bodyLimit: (HTTPRequestHead) -> Int
    let streamsBody: (HTTPRequestHead) -> Bool

    var buffer: [UInt8] = []
    /// Index of the first unconsumed byte in `buffer`.
    var start = 0
    /// Bytes after `start` already searched for the end of a head, trailer section or chunk-size line.
    var scanned = 0

    /// The head of the request whose body is being read; nil while reading a head.
    var head: HTTPRequestHead? = nil
    var framing = Framing.none
    var limit = 0
    var expectsContinue = false
    var sentContinue = false
    var chunkPhase = ChunkPhase.size
    var body: [UInt8] = []
    /// Body bytes decoded so far for the current request (both modes).
    var received = 0
    /// The current request's body goes out as `.bodyPart` events instead of one `.request`.
    var streaming = false
    var failure: HTTPParseError? = nil

    enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
    }

    /// - Parameters:
    ///   - maxHeaderBytes: the largest head (request line and fields) accepted; 431 beyond, detected as soon
    ///     as that many bytes of an unfinished head are buffered. Also bounds a chunked body's trailers.
    ///   - bodyLimit: consulted once the head of a request with a body is complete. A `Content-Length`
    ///     above it fails with 413 before the body is read; a chunked body fails with 413 as soon as its
    ///     decoded size passes it.
    ///   - streamsBody: consulted with `bodyLimit`; true hands the body over as it arrives (`.head`,
    ///     `.bodyPart`…, `.bodyEnd`), so only what is buffered is ever held.
    public init(maxHeaderBytes: Int = 16 * 1024, bodyLimit: @escaping (HTTPRequestHead) -> Int,
                streamsBody: @escaping (HTTPRequestHead) -> Bool = { _ in false }) {
        self.maxHeaderBytes = maxHeaderBytes
        self.bodyLimit = bodyLimit
        self.streamsBody = streamsBody
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Whether unconsumed bytes are buffered.
    public var hasBufferedBytes: Bool { start < buffer.count }

    /// Whether the head of a request has started to arrive and is not complete.
    public var isReadingHead: Bool { head == nil && start < buffer.count }

    /// Whether some bytes of an unfinished request are buffered (or its body is being read).
    public var isMidRequest: Bool { head != nil || start < buffer.count }

    /// The next event from the buffered bytes, or nil when more bytes are needed.
    ///
    /// After `.request`, call again: pipelined requests already buffered come out one after another.
    /// After a throw the connection is unusable; later calls throw the same error.
    public mutating func next() throws(HTTPParseError) -> ParserEvent? {
        if let failure { throw failure }
        do throws(HTTPParseError) {
            return try step()
        } catch {
            failure = error
            throw error
        }
    }

    mutating func step() throws(HTTPParseError) -> ParserEvent? {
        if head == nil {
            guard let parsed = try parseHead() else { return nil }
            head = parsed.head
            framing = parsed.framing
            expectsContinue = parsed.expectsContinue
            switch framing {
            case .none:
                break
            case .length(let length):
                limit = bodyLimit(parsed.head)
                if length > limit {
                    throw HTTPParseError(status: .payloadTooLarge, reason: "Content-Length \(length) exceeds \(limit)")
                }
            case .chunked:
                limit = bodyLimit(parsed.head)
                chunkPhase = .size
            }
            received = 0
            streaming = framing != .none && streamsBody(parsed.head)
            if streaming { return .head(parsed.head) }
        }
        switch framing {
        case .none:
            return finish()
        case .length(let length) where streaming:
            if received == length { return finishStream() }
            let n = min(length - received, buffer.count - start)
            guard n > 0 else { return continueOnce() }
            received += n
            start += n
            return .bodyPart(Array(buffer[start - n..<start]))
        case .length(let length):
            guard buffer.count - start >= length else { return continueOnce() }
            body = Array(buffer[start..<start + length])
            start += length
            return finish()
        case .chunked:
            let complete = try decodeChunks()
            if streaming {
                if !body.isEmpty {
                    defer { body = [] }
                    return .bodyPart(body)
                }
                return complete ? finishStream() : continueOnce()
            }
            guard complete else { return continueOnce() }
            return finish()
        }
    }

    /// Ends a streamed body; the parser reads the next head.
    mutating func finishStream() -> ParserEvent {
        head = nil
        framing = .none
        streaming = false
        expectsContinue = false
        sentContinue = false
        scanned = 0
        return .bodyEnd
    }

    /// `.expectContinue` the first time a body is awaited for a request that asked for it.
    mutating func continueOnce() -> ParserEvent? {
        guard expectsContinue && !sentContinue else { return nil }
        sentContinue = true
        return .expectContinue
    }

    mutating func finish() -> ParserEvent {
        let request = HTTPRequest(head: head!, body: body)
        head = nil
        body = []
        framing = .none
        expectsContinue = false
        sentContinue = false
        scanned = 0
        return .request(request)
    }

    /// Drops consumed bytes: all of them when everything was consumed, otherwise only when they are the
    /// larger part of a big buffer, so the cost stays amortized.
    mutating func compact() {
        guard start > 0 else { return }
        if start == buffer.count {
            if buffer.capacity > Self.keptCapacity {
                buffer = []
            } else {
                buffer.removeAll(keepingCapacity: true)
            }
            start = 0
        } else if start >= 4096 && start * 2 >= buffer.count {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }

    /// Finds the blank line ending a head or trailer section that starts at `start` with a non-empty line.
    /// Returns the index just past it, or nil (remembering how far it searched in `scanned`).
    /// Accepts CRLF and bare LF line endings.
    mutating func findBlankLine() -> Int? {
        let end = buffer.count
        var i = start + scanned
        defer { scanned = i - start }
        while i < end {
            if buffer[i] == ASCII.lf {
                guard i + 1 < end else { return nil }
                let next = buffer[i + 1]
                if next == ASCII.lf {
                    i += 2
                    return i
                }
                if next == ASCII.cr {
                    guard i + 2 < end else { return nil }
                    if buffer[i + 2] == ASCII.lf {
                        i += 3
                        return i
                    }
                }
            }
            i += 1
        }
        return nil
    }
}
