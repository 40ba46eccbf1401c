// The chunked transfer coding (RFC 9112 7.1): chunk extensions are ignored, trailer fields are
// checked for syntax and discarded.

extension RequestParser {
    enum ChunkPhase: Equatable {
        /// Reading a chunk-size line.
        case size
        /// Copying chunk data; this many bytes are left.
        case data(Int)
        /// Expecting the CRLF after chunk data.
        case dataEnd
        /// After the last chunk: reading the trailer section up to its blank line.
        case trailers
        /// The body and its trailers are consumed.
        case finished
    }

    /// Decodes buffered chunks into `body`. Returns true once the whole body, trailers included, is consumed.
    mutating func decodeChunks() throws(HTTPParseError) -> Bool {
        while true {
            switch chunkPhase {
            case .size:
                guard let size = try chunkSizeLine() else { return false }
                if size == 0 {
                    chunkPhase = .trailers
                } else {
                    if size > limit - received {
                        throw HTTPParseError(status: .payloadTooLarge, reason: "chunked body exceeds \(limit) bytes")
                    }
                    body.reserveCapacity(body.count + min(size, 1 << 20))
                    chunkPhase = .data(size)
                }
            case .data(let remaining):
                let available = buffer.count - start
                guard available > 0 else { return false }
                let n = min(available, remaining)
                body.append(contentsOf: buffer[start..<start + n])
                start += n
                received += n
                if n < remaining {
                    chunkPhase = .data(remaining - n)
                    return false
                }
                chunkPhase = .dataEnd
            case .dataEnd:
                guard start < buffer.count else { return false }
                if buffer[start] == ASCII.lf {
                    start += 1
                } else if buffer[start] == ASCII.cr {
                    guard start + 1 < buffer.count else { return false }
                    guard buffer[start + 1] == ASCII.lf else { throw .badRequest("missing CRLF after chunk data") }
                    start += 2
                } else {
                    throw .badRequest("missing CRLF after chunk data")
                }
                chunkPhase = .size
            case .trailers:
                guard try trailers() else { return false }
                chunkPhase = .finished
            case .finished:
                return true
            }
        }
    }

    /// Parses `chunk-size [ chunk-ext ] CRLF` if the whole line is buffered.
    mutating func chunkSizeLine() throws(HTTPParseError) -> Int? {
        var lf = start + scanned
        while lf < buffer.count && buffer[lf] != ASCII.lf { lf += 1 }
        if lf - start > Self.maxChunkLineBytes { throw .badRequest("chunk-size line too long") }
        guard lf < buffer.count else {
            scanned = lf - start
            return nil
        }
        scanned = 0
        let lineEnd = lf > start && buffer[lf - 1] == ASCII.cr ? lf - 1 : lf
        var i = start
        var size = 0
        while i < lineEnd, let digit = ASCII.hexValue(buffer[i]) {
            if size > (Int.max - digit) >> 4 { throw .badRequest("chunk size overflows") }
            size = size << 4 | digit
            i += 1
        }
        if i == start { throw .badRequest("invalid chunk size") }
        while i < lineEnd && ASCII.isWhitespace(buffer[i]) { i += 1 }
        if i < lineEnd && buffer[i] != ASCII.semicolon { throw .badRequest("invalid chunk size") }
        // chunk-ext is ignored, but a bare CR or other control byte in it is not tolerated.
        for j in i..<lineEnd where buffer[j] < ASCII.space && buffer[j] != ASCII.tab {
            throw .badRequest("control character in chunk extension")
        }
        start = lf + 1
        return size
    }

    /// Consumes the trailer section (possibly empty) once its blank line is buffered.
    mutating func trailers() throws(HTTPParseError) -> Bool {
        guard start < buffer.count else { return false }
        if buffer[start] == ASCII.lf {
            start += 1
            return true
        }
        if buffer[start] == ASCII.cr {
            guard start + 1 < buffer.count else { return false }
            if buffer[start + 1] == ASCII.lf {
                start += 2
                return true
            }
        }
        guard let end = findBlankLine() else {
            if buffer.count - start > maxHeaderBytes {
                throw HTTPParseError(status: .requestHeaderFieldsTooLarge, reason: "trailers over \(maxHeaderBytes) bytes")
            }
            return false
        }
        if end - start > maxHeaderBytes {
            throw HTTPParseError(status: .requestHeaderFieldsTooLarge, reason: "trailers over \(maxHeaderBytes) bytes")
        }
        var i = start
        while i < end {
            let (content, next) = Self.line(buffer, from: i)
            if !content.isEmpty { _ = try Self.field(buffer, content) }
            i = next
        }
        start = end
        scanned = 0
        return true
    }
}
