// Decoding of the request-target: the path strictly (RFC 3986 percent-encoding), the query the way
// the WHATWG URL standard decodes application/x-www-form-urlencoded (lenient: bad escapes stay literal).

enum URLDecoding {
    /// Percent-decodes `bytes[range]`. Throws 400 on a malformed escape, a decoded NUL or invalid UTF-8.
    static func path(_ bytes: [UInt8], _ range: Range<Int>) throws(HTTPParseError) -> String {
        var plain = true
        for i in range where bytes[i] == ASCII.percent || bytes[i] >= 0x80 || bytes[i] == 0 {
            if bytes[i] == 0 { throw .badRequest("NUL in path") }
            plain = false
            break
        }
        if plain { return String(decoding: bytes[range], as: UTF8.self) }

        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var i = range.lowerBound
        while i < range.upperBound {
            let b = bytes[i]
            if b == ASCII.percent {
                guard i + 2 < range.upperBound,
                    let hi = ASCII.hexValue(bytes[i + 1]), let lo = ASCII.hexValue(bytes[i + 2])
                else { throw .badRequest("malformed percent-encoding in path") }
                let decoded = UInt8(hi << 4 | lo)
                if decoded == 0 { throw .badRequest("NUL in path") }
                out.append(decoded)
                i += 3
            } else {
                if b == 0 { throw .badRequest("NUL in path") }
                out.append(b)
                i += 1
            }
        }
        guard let path = String(validating: out, as: UTF8.self) else {
            throw .badRequest("path is not valid UTF-8")
        }
        return path
    }

    /// `a=1&b=x+y&c` → `[("a", "1"), ("b", "x y"), ("c", "")]`. Empty pieces are skipped.
    static func query(_ bytes: [UInt8], _ range: Range<Int>) -> [(String, String)] {
        var pairs: [(String, String)] = []
        var i = range.lowerBound
        while i < range.upperBound {
            var end = i
            var equals: Int? = nil
            while end < range.upperBound && bytes[end] != ASCII.ampersand {
                if equals == nil && bytes[end] == ASCII.equals { equals = end }
                end += 1
            }
            if end > i {
                let nameEnd = equals ?? end
                let valueStart = equals.map { $0 + 1 } ?? end
                pairs.append((form(bytes, i..<nameEnd), form(bytes, valueStart..<end)))
            }
            i = end + 1
        }
        return pairs
    }

    /// One form-urlencoded component: `+` is a space, `%XX` a byte; invalid UTF-8 becomes U+FFFD.
    static func form(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        var plain = true
        for i in range where bytes[i] == ASCII.percent || bytes[i] == ASCII.plus {
            plain = false
            break
        }
        if plain { return String(decoding: bytes[range], as: UTF8.self) }

        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var i = range.lowerBound
        while i < range.upperBound {
            let b = bytes[i]
            if b == ASCII.plus {
                out.append(ASCII.space)
            } else if b == ASCII.percent, i + 2 < range.upperBound,
                let hi = ASCII.hexValue(bytes[i + 1]), let lo = ASCII.hexValue(bytes[i + 2])
            {
                out.append(UInt8(hi << 4 | lo))
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent-decodes without treating `+` specially, leniently (for `filename*=`).
    static func percent(_ bytes: [UInt8], _ range: Range<Int>) -> [UInt8] {
        var out: [UInt8] = []
        var i = range.lowerBound
        while i < range.upperBound {
            if bytes[i] == ASCII.percent, i + 2 < range.upperBound,
                let hi = ASCII.hexValue(bytes[i + 1]), let lo = ASCII.hexValue(bytes[i + 2])
            {
                out.append(UInt8(hi << 4 | lo))
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}
