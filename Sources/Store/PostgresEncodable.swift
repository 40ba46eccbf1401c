/// One statement parameter, ready for `PQexecParams`. Built only by `PostgresEncodable` types.
public struct PostgresBind: Sendable {
    enum Format: Int32, Sendable { case text = 0, binary = 1 }

    /// The parameter's type OID; 0 lets the server infer it from context.
    let oid: UInt32
    let format: Format
    /// nil is SQL NULL.
    let bytes: [UInt8]?

    init(oid: UInt32, format: Format = .text, bytes: [UInt8]?) {
        self.oid = oid
        self.format = format
        self.bytes = bytes
    }

    init(oid: UInt32, text: String) {
        self.init(oid: oid, bytes: Array(text.utf8))
    }
}

/// A value that can be interpolated into a `Query` as a bind parameter.
///
/// Wrapper types conform by forwarding: `var postgresBind: PostgresBind { rawValue.postgresBind }`.
public protocol PostgresEncodable {
    var postgresBind: PostgresBind { get }
    /// NULL of this type; by default an untyped NULL that the server types from context.
    static var postgresNull: PostgresBind { get }
}

extension PostgresEncodable {
    public static var postgresNull: PostgresBind { PostgresBind(oid: OID.unknown, bytes: nil) }
}

enum OID {
    static let unknown: UInt32 = 0
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let int8: UInt32 = 20
    static let int4: UInt32 = 23
    static let float8: UInt32 = 701
    static let textArray: UInt32 = 1009
}

extension String: PostgresEncodable {
    /// Sent untyped (OID 0), so that the server reads it as whatever the context needs:
    /// `text`, `jsonb`, `timestamptz`, `uuid`, an enum label.
    public var postgresBind: PostgresBind { PostgresBind(oid: OID.unknown, text: self) }
}

extension Int: PostgresEncodable {
    public static var postgresNull: PostgresBind { PostgresBind(oid: OID.int8, bytes: nil) }
    public var postgresBind: PostgresBind { PostgresBind(oid: OID.int8, text: String(self)) }
}

extension Int64: PostgresEncodable {
    public static var postgresNull: PostgresBind { PostgresBind(oid: OID.int8, bytes: nil) }
    public var postgresBind: PostgresBind { PostgresBind(oid: OID.int8, text: String(self)) }
}

extension Int32: PostgresEncodable {
    public static var postgresNull: PostgresBind { PostgresBind(oid: OID.int4, bytes: nil) }
    public var postgresBind: PostgresBind { PostgresBind(oid: OID.int4, text: String(self)) }
}

extension Double: PostgresEncodable {
    public static var postgresNull: PostgresBind { PostgresBind(oid: OID.float8, bytes: nil) }
    public var postgresBind: PostgresBind {
        let text: String
        if isNaN {
            text = "NaN"
        } else if isInfinite {
            text = self < 0 ? "-Infinity" : "Infinity"
        } else {
            text = description  // shortest representation that round-trips
        }
        return PostgresBind(oid: OID.float8, text: text)
    }
}

extension Bool: PostgresEncodable {
    public static var postgresNull: PostgresBind { PostgresBind(oid: OID.bool, bytes: nil) }
    public var postgresBind: PostgresBind { PostgresBind(oid: OID.bool, text: self ? "t" : "f") }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public var postgresBind: PostgresBind { Element.bind(self) }
    public static var postgresNull: PostgresBind { Element.bindNull }
}

/// Element types of the arrays that bind and decode: `UInt8` (`bytea`) and `String` (`text[]`).
public protocol PostgresArrayElement {
    static func bind(_ array: [Self]) -> PostgresBind
    static var bindNull: PostgresBind { get }
    static func decodeArray(_ bytes: [UInt8]) -> [Self]?
}

extension UInt8: PostgresArrayElement {
    /// bytea goes as a binary parameter: the bytes, unescaped.
    public static var bindNull: PostgresBind { PostgresBind(oid: OID.bytea, format: .binary, bytes: nil) }

    public static func bind(_ array: [UInt8]) -> PostgresBind {
        PostgresBind(oid: OID.bytea, format: .binary, bytes: array)
    }
}

extension String: PostgresArrayElement {
    /// text[] as an array literal, every element quoted: `{"a","b \"c\""}`.
    public static var bindNull: PostgresBind { PostgresBind(oid: OID.textArray, bytes: nil) }

    public static func bind(_ array: [String]) -> PostgresBind {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        for (i, element) in array.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return PostgresBind(oid: OID.textArray, bytes: bytes)
    }
}
