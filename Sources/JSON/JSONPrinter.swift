/// Writes a `JSONValue` as UTF-8 JSON text.
///
/// Compact form has no whitespace; pretty form puts each member on its own line with a
/// 2-space indent and `": "` after keys. Strings escape `"`, `\` and control characters
/// (`\b \f \n \r \t`, others as `\u00XX`); non-ASCII stays raw UTF-8 and `/` is not escaped.
/// Doubles print in shortest round-trip form, integral ones with ".0" (or an exponent)
/// so they parse back as doubles; non-finite doubles, which JSON cannot express, print as null.
struct JSONPrinter {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private(set) var output: [UInt8] = []
    let pretty: Bool

    init(pretty: Bool) {
        self.pretty = pretty
    }

    mutating func write(_ value: JSONValue, level: Int = 0) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): output.append(contentsOf: number.description.utf8)
        case .double(let number): writeDouble(number)
        case .string(let text): writeString(text)
        case .array(let elements): writeArray(elements, level: level)
        case .object(let object): writeObject(object, level: level)
        }
    }

    private mutating func writeArray(_ elements: [JSONValue], level: Int) {
        output.append(ASCII.openBracket)
        if elements.isEmpty {
            output.append(ASCII.closeBracket)
            return
        }
        for (position, element) in elements.enumerated() {
            if position > 0 { output.append(ASCII.comma) }
            newline(level: level + 1)
            write(element, level: level + 1)
        }
        newline(level: level)
        output.append(ASCII.closeBracket)
    }

    private mutating func writeObject(_ object: JSONObject, level: Int) {
        output.append(ASCII.openBrace)
        if object.isEmpty {
            output.append(ASCII.closeBrace)
            return
        }
        var first = true
        for (key, value) in object {
            if !first { output.append(ASCII.comma) }
            first = false
            newline(level: level + 1)
            writeString(key)
            output.append(ASCII.colon)
            if pretty { output.append(ASCII.space) }
            write(value, level: level + 1)
        }
        newline(level: level)
        output.append(ASCII.closeBrace)
    }

    private mutating func newline(level: Int) {
        guard pretty else { return }
        output.append(ASCII.newline)
        output.append(contentsOf: repeatElement(ASCII.space, count: 2 * level))
    }

    private mutating func writeDouble(_ number: Double) {
        guard number.isFinite else {
            output.append(contentsOf: "null".utf8)
            return
        }
        // `description` is the shortest string that round-trips, and always JSON for
        // finite values: "0.1", "100.0", "-0.0", "1e-05", "1e+16", "5e-324".
        output.append(contentsOf: number.description.utf8)
    }

    private mutating func writeString(_ text: String) {
        output.append(ASCII.quote)
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            for offset in 0..<utf8.count {
                let byte = utf8[offset]
                guard byte < 0x20 || byte == ASCII.quote || byte == ASCII.backslash else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<offset]))
                writeEscape(byte)
                runStart = offset + 1
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        output.append(ASCII.quote)
    }

    private mutating func writeEscape(_ byte: UInt8) {
        output.append(ASCII.backslash)
        switch byte {
        case ASCII.quote, ASCII.backslash: output.append(byte)
        case 0x08: output.append(ASCII.b)
        case 0x0C: output.append(ASCII.f)
        case ASCII.newline: output.append(ASCII.n)
        case ASCII.carriageReturn: output.append(ASCII.r)
        case ASCII.tab: output.append(ASCII.t)
        default:
            output.append(contentsOf: "u00".utf8)
            output.append(Self.hexDigits[Int(byte >> 4)])
            output.append(Self.hexDigits[Int(byte & 0x0F)])
        }
    }
}
