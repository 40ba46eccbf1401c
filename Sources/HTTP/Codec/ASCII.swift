// Byte-level helpers shared by the parser, the encoder and multipart.
// Everything here works on UTF-8 bytes; nothing creates a `Character`.

enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let comma: UInt8 = 0x2C
    static let percent: UInt8 = 0x25
    static let plus: UInt8 = 0x2B
    static let equals: UInt8 = 0x3D
    static let ampersand: UInt8 = 0x26
    static let question: UInt8 = 0x3F
    static let slash: UInt8 = 0x2F
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let hyphen: UInt8 = 0x2D

    /// `tchar` from RFC 9110 5.6.2: the bytes allowed in a method or a field name.
    @inline(__always)
    static func isTokenChar(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true  // DIGIT / ALPHA
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E:
            return true  // ! # $ % & ' * + - . ^ _ ` | ~
        default: return false
        }
    }

    /// Space or horizontal tab (OWS).
    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool { b == space || b == tab }

    @inline(__always)
    static func lowercased(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }

    /// The value of a hex digit, or nil.
    @inline(__always)
    static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: return Int(b &- 0x30)
        case 0x41...0x46: return Int(b &- 0x41 &+ 10)
        case 0x61...0x66: return Int(b &- 0x61 &+ 10)
        default: return nil
        }
    }

    /// ASCII-case-insensitive equality of two strings' UTF-8 bytes.
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        let a = a.utf8, b = b.utf8
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) where x != y && lowercased(x) != lowercased(y) { return false }
        return true
    }

    /// Whether `bytes[range]` equals `lowercaseName` ignoring ASCII case. `lowercaseName` must be lowercase.
    @inline(__always)
    static func equalsIgnoringCase(_ bytes: [UInt8], _ range: Range<Int>, _ lowercaseName: StaticString) -> Bool {
        guard range.count == lowercaseName.utf8CodeUnitCount else { return false }
        let name = lowercaseName.utf8Start
        var j = 0
        for i in range {
            if lowercased(bytes[i]) != name[j] { return false }
            j += 1
        }
        return true
    }

    /// Whether a comma-separated header value contains `token`, ignoring ASCII case and OWS.
    static func listContains(_ value: String, _ token: String) -> Bool {
        var found = false
        forEachListElement(value) { element in
            if !found && equalsIgnoringCase(element, token) { found = true }
        }
        return found
    }

    /// Calls `body` with each element of a comma-separated list, trimmed of OWS; empty elements are skipped.
    static func forEachListElement(_ value: String, _ body: (String) -> Void) {
        let bytes = Array(value.utf8)
        var i = 0
        while i <= bytes.count {
            var j = i
            while j < bytes.count && bytes[j] != comma { j += 1 }
            let trimmed = trim(bytes, i..<j)
            if !trimmed.isEmpty { body(String(decoding: bytes[trimmed], as: UTF8.self)) }
            i = j + 1
        }
    }

    /// `range` without leading and trailing spaces and tabs.
    static func trim(_ bytes: [UInt8], _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper && isWhitespace(bytes[lower]) { lower += 1 }
        while upper > lower && isWhitespace(bytes[upper - 1]) { upper -= 1 }
        return lower..<upper
    }
}
