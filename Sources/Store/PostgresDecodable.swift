/// A type that can be read from a column's text-format result bytes.
public protocol PostgresDecodable {
    /// nil when `bytes` is not a valid text representation of this type.
    init?(postgresText bytes: [UInt8])
}

extension String: PostgresDecodable {
    /// Every type has a text form, so any column decodes as `String` (jsonb included).
    public init?(postgresText bytes: [UInt8]) {
        self.init(validating: bytes, as: UTF8.self)
    }
}

extension Int: PostgresDecodable {
    public init?(postgresText bytes: [UInt8]) {
        guard let value = Int(String(decoding: bytes, as: UTF8.self)) else { return nil }
        self = value
    }
}

extension Int64: PostgresDecodable {
    public init?(postgresText bytes: [UInt8]) {
        guard let value = Int64(String(decoding: bytes, as: UTF8.self)) else { return nil }
        self = value
    }
}

extension Int32: PostgresDecodable {
    public init?(postgresText bytes: [UInt8]) {
        guard let value = Int32(String(decoding: bytes, as: UTF8.self)) else { return nil }
        self = value
    }
}

extension Double: PostgresDecodable {
    /// Also reads `NaN`, `Infinity` and `-Infinity`, and integer and numeric columns.
    public init?(postgresText bytes: [UInt8]) {
        guard let value = Double(String(decoding: bytes, as: UTF8.self)) else { return nil }
        self = value
    }
}

extension Bool: PostgresDecodable {
    public init?(postgresText bytes: [UInt8]) {
        switch bytes {
        case [UInt8(ascii: "t")]: self = true
        case [UInt8(ascii: "f")]: self = false
        default: return nil
        }
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    public init?(postgresText bytes: [UInt8]) {
        guard let value = Element.decodeArray(bytes) else { return nil }
        self = value
    }
}

extension UInt8 {
    public static func decodeArray(_ bytes: [UInt8]) -> [UInt8]? { decodeByteaHex(bytes) }
}

extension String {
    public static func decodeArray(_ bytes: [UInt8]) -> [String]? { decodeTextArray(bytes) }
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// bytea in the `hex` output format (the default since PostgreSQL 9.0): `\x00ff…`.
func decodeByteaHex(_ bytes: [UInt8]) -> [UInt8]? {
    guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"),
          bytes.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count / 2 - 1)
    var i = 2
    while i < bytes.count {
        guard let high = hexValue(bytes[i]), let low = hexValue(bytes[i + 1]) else { return nil }
        out.append(high << 4 | low)
        i += 2
    }
    return out
}

/// A one-dimensional text[] literal as the server prints it: `{a,"b c","d\"e"}`.
/// NULL elements, nested arrays and explicit bounds (`[0:1]={…}`) do not decode.
func decodeTextArray(_ bytes: [UInt8]) -> [String]? {
    let open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), quote = UInt8(ascii: "\"")
    let comma = UInt8(ascii: ","), backslash = UInt8(ascii: "\\")
    guard bytes.count >= 2, bytes.first == open, bytes.last == close else { return nil }
    if bytes.count == 2 { return [] }
    var elements: [String] = []
    var i = 1
    let end = bytes.count - 1
    while true {
        var element: [UInt8] = []
        if bytes[i] == quote {
            i += 1
            while i < end, bytes[i] != quote {
                if bytes[i] == backslash { i += 1; guard i < end else { return nil } }
                element.append(bytes[i])
                i += 1
            }
            guard i < end else { return nil }
            i += 1  // closing quote
        } else {
            while i < end, bytes[i] != comma {
                if bytes[i] == open || bytes[i] == quote { return nil }
                element.append(bytes[i])
                i += 1
            }
            if element.isEmpty || element == Array("NULL".utf8) { return nil }
        }
        guard let text = String(validating: element, as: UTF8.self) else { return nil }
        elements.append(text)
        if i == end { return elements }
        guard bytes[i] == comma else { return nil }
        i += 1
    }
}
