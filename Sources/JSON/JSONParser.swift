/// A strict RFC 8259 recursive-descent parser over contiguous UTF-8 bytes.
///
/// Strings and numbers live in `JSONParser+Strings.swift` and `JSONParser+Numbers.swift`.
/// Recursion depth is bounded by `maxDepth` (containers only).
struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    let maxDepth: Int
    var depth = 0
    /// Reused buffer for strings that contain escapes.
    var scratch: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Parses one whole document; the buffer must not hold anything else but whitespace.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Result<JSONValue, JSONError> {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        do throws(JSONError) {
            return .success(try parser.parseDocument())
        } catch {
            return .failure(error)
        }
    }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if position < bytes.count {
            throw JSONError(offset: position, reason: "trailing data after value")
        }
        return value
    }

    // MARK: - Values

    mutating func parseValue() throws(JSONError) -> JSONValue {
        guard position < bytes.count else { throw endOfInput() }
        switch bytes[position] {
        case ASCII.openBrace: return try parseObject()
        case ASCII.openBracket: return try parseArray()
        case ASCII.quote: return .string(try parseString())
        case ASCII.t: try expectLiteral("true"); return .bool(true)
        case ASCII.f: try expectLiteral("false"); return .bool(false)
        case ASCII.n: try expectLiteral("null"); return .null
        case ASCII.minus, ASCII.zero...ASCII.nine: return try parseNumber()
        default: throw unexpected(at: position)
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let utf8 = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for expected in utf8 {
            guard position < bytes.count else { throw endOfInput() }
            guard bytes[position] == expected else { throw unexpected(at: position) }
            position += 1
        }
    }

    private mutating func parseArray() throws(JSONError) -> JSONValue {
        try enterContainer()
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == ASCII.closeBracket {
            position += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            guard position < bytes.count else { throw endOfInput() }
            switch bytes[position] {
            case ASCII.comma:
                let comma = position
                position += 1
                skipWhitespace()
                if position < bytes.count, bytes[position] == ASCII.closeBracket {
                    throw JSONError(offset: comma, reason: "trailing comma")
                }
            case ASCII.closeBracket:
                position += 1
                depth -= 1
                return .array(elements)
            default:
                throw unexpected(at: position)
            }
        }
    }

    private mutating func parseObject() throws(JSONError) -> JSONValue {
        try enterContainer()
        var object = JSONObject()
        skipWhitespace()
        if position < bytes.count, bytes[position] == ASCII.closeBrace {
            position += 1
            depth -= 1
            return .object(object)
        }
        while true {
            guard position < bytes.count else { throw endOfInput() }
            guard bytes[position] == ASCII.quote else { throw unexpected(at: position) }
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count else { throw endOfInput() }
            guard bytes[position] == ASCII.colon else { throw unexpected(at: position) }
            position += 1
            skipWhitespace()
            object.updateValue(try parseValue(), forKey: key)
            skipWhitespace()
            guard position < bytes.count else { throw endOfInput() }
            switch bytes[position] {
            case ASCII.comma:
                let comma = position
                position += 1
                skipWhitespace()
                if position < bytes.count, bytes[position] == ASCII.closeBrace {
                    throw JSONError(offset: comma, reason: "trailing comma")
                }
            case ASCII.closeBrace:
                position += 1
                depth -= 1
                return .object(object)
            default:
                throw unexpected(at: position)
            }
        }
    }

    /// Steps over the opening bracket or brace, enforcing `maxDepth`.
    private mutating func enterContainer() throws(JSONError) {
        guard depth < maxDepth else {
            throw JSONError(offset: position, reason: "nesting deeper than \(maxDepth)")
        }
        depth += 1
        position += 1
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case ASCII.space, ASCII.tab, ASCII.newline, ASCII.carriageReturn: position += 1
            default: return
            }
        }
    }

    // MARK: - Errors

    func endOfInput() -> JSONError {
        JSONError(offset: bytes.count, reason: "unexpected end of input")
    }

    /// Describes the byte at `offset`, which the grammar does not allow there.
    func unexpected(at offset: Int) -> JSONError {
        guard offset < bytes.count else { return endOfInput() }
        let byte = bytes[offset]
        if byte < 0x20 || byte == 0x7F {
            return JSONError(offset: offset, reason: "unexpected control character \(hex(byte))")
        }
        if byte < 0x80 {
            return JSONError(offset: offset, reason: "unexpected character '\(Unicode.Scalar(byte))'")
        }
        guard let length = utf8SequenceLength(at: offset) else {
            return JSONError(offset: offset, reason: "invalid UTF-8")
        }
        let scalar = String(decoding: UnsafeBufferPointer(rebasing: bytes[offset..<offset + length]), as: UTF8.self)
        return JSONError(offset: offset, reason: "unexpected character '\(scalar)'")
    }

    /// "0x0A": a byte as two upper-case hex digits.
    func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return byte < 0x10 ? "0x0" + digits : "0x" + digits
    }
}

/// The ASCII bytes the grammar mentions.
enum ASCII {
    static let tab: UInt8 = 0x09
    static let newline: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote = UInt8(ascii: "\"")
    static let plus = UInt8(ascii: "+")
    static let comma = UInt8(ascii: ",")
    static let minus = UInt8(ascii: "-")
    static let dot = UInt8(ascii: ".")
    static let slash = UInt8(ascii: "/")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
    static let colon = UInt8(ascii: ":")
    static let upperA = UInt8(ascii: "A")
    static let upperE = UInt8(ascii: "E")
    static let upperF = UInt8(ascii: "F")
    static let openBracket = UInt8(ascii: "[")
    static let backslash = UInt8(ascii: "\\")
    static let closeBracket = UInt8(ascii: "]")
    static let a = UInt8(ascii: "a")
    static let b = UInt8(ascii: "b")
    static let e = UInt8(ascii: "e")
    static let f = UInt8(ascii: "f")
    static let n = UInt8(ascii: "n")
    static let r = UInt8(ascii: "r")
    static let t = UInt8(ascii: "t")
    static let u = UInt8(ascii: "u")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
}
