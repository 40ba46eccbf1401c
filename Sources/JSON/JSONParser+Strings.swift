extension JSONParser {
    /// Parses a string starting at its opening quote and returns its contents.
    ///
    /// Strings without escapes are validated in place and decoded once; strings with
    /// escapes are copied run by run into `scratch`.
    mutating func parseString() throws(JSONError) -> String {
        let open = position
        position += 1
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == ASCII.quote {
                let contents = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                position += 1
                return contents
            }
            if byte == ASCII.backslash {
                return try parseEscapedString(open: open, start: start)
            }
            try stepOverStringByte(byte)
        }
        throw JSONError(offset: open, reason: "unterminated string")
    }

    /// Advances over one unescaped character (a whole UTF-8 sequence), validating it.
    @inline(__always)
    private mutating func stepOverStringByte(_ byte: UInt8) throws(JSONError) {
        if byte >= 0x20 && byte < 0x80 {
            position += 1
        } else if byte < 0x20 {
            throw JSONError(offset: position, reason: "unescaped control character \(hex(byte)) in string")
        } else if let length = utf8SequenceLength(at: position) {
            position += length
        } else {
            throw JSONError(offset: position, reason: "invalid UTF-8")
        }
    }

    private mutating func parseEscapedString(open: Int, start: Int) throws(JSONError) -> String {
        scratch.removeAll(keepingCapacity: true)
        var runStart = start
        while position < bytes.count {
            let byte = bytes[position]
            if byte == ASCII.quote {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
                position += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if byte == ASCII.backslash {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
                try parseEscape(open: open)
                runStart = position
            } else {
                try stepOverStringByte(byte)
            }
        }
        throw JSONError(offset: open, reason: "unterminated string")
    }

    /// Parses one escape at `position` (a backslash) and appends its UTF-8 to `scratch`.
    private mutating func parseEscape(open: Int) throws(JSONError) {
        let backslash = position
        guard position + 1 < bytes.count else {
            throw JSONError(offset: open, reason: "unterminated string")
        }
        let letter = bytes[position + 1]
        position += 2
        switch letter {
        case ASCII.quote, ASCII.backslash, ASCII.slash: scratch.append(letter)
        case ASCII.b: scratch.append(0x08)
        case ASCII.f: scratch.append(0x0C)
        case ASCII.n: scratch.append(0x0A)
        case ASCII.r: scratch.append(0x0D)
        case ASCII.t: scratch.append(0x09)
        case ASCII.u: try parseUnicodeEscape(backslash: backslash, open: open)
        default:
            let shown = letter >= 0x20 && letter < 0x7F ? "'\\\(Unicode.Scalar(letter))'" : hex(letter)
            throw JSONError(offset: backslash, reason: "invalid escape \(shown)")
        }
    }

    /// After `\u`: four hex digits, and for a high surrogate a following `\uDC00`–`\uDFFF`.
    private mutating func parseUnicodeEscape(backslash: Int, open: Int) throws(JSONError) {
        let unit = try hexQuad(backslash: backslash, open: open)
        var scalarValue = UInt32(unit)
        switch unit {
        case 0xD800...0xDBFF:
            let low = position + 2 <= bytes.count
                && bytes[position] == ASCII.backslash && bytes[position + 1] == ASCII.u
            guard low else { throw loneSurrogate(unit, at: backslash) }
            let second = position
            position += 2
            let trail = try hexQuad(backslash: second, open: open)
            guard (0xDC00...0xDFFF).contains(trail) else { throw loneSurrogate(unit, at: backslash) }
            scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(trail) - 0xDC00)
        case 0xDC00...0xDFFF:
            throw loneSurrogate(unit, at: backslash)
        default:
            break
        }
        // Every value left is a valid scalar: surrogates were handled above.
        let scalar = Unicode.Scalar(scalarValue)!
        scratch.append(contentsOf: UTF8.encode(scalar)!)
    }

    private mutating func hexQuad(backslash: Int, open: Int) throws(JSONError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard position < bytes.count else {
                throw JSONError(offset: open, reason: "unterminated string")
            }
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case ASCII.zero...ASCII.nine: digit = byte - ASCII.zero
            case ASCII.a...ASCII.f: digit = byte - ASCII.a + 10
            case ASCII.upperA...ASCII.upperF: digit = byte - ASCII.upperA + 10
            default: throw JSONError(offset: backslash, reason: "invalid \\u escape")
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    private func loneSurrogate(_ unit: UInt16, at offset: Int) -> JSONError {
        let digits = String(unit, radix: 16, uppercase: true)
        return JSONError(offset: offset, reason: "lone surrogate \\u\(digits)")
    }

    /// The length of the well-formed UTF-8 sequence starting at `offset`, or nil if it is
    /// ill-formed: a stray continuation byte, an overlong form, a UTF-16 surrogate,
    /// a value above U+10FFFF, or a truncated sequence (Unicode table 3-7).
    func utf8SequenceLength(at offset: Int) -> Int? {
        let lead = bytes[offset]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return nil
        }
        guard offset + length <= bytes.count else { return nil }
        guard (low...high).contains(bytes[offset + 1]) else { return nil }
        for next in offset + 2..<offset + length where bytes[next] & 0xC0 != 0x80 {
            return nil
        }
        return length
    }
}
