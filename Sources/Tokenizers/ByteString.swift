/// UTF-8 bytes used as a dictionary key: compared bytewise (never by canonical equivalence,
/// STYLE.md pitfall 2) and hashed in one call over the whole buffer.
public struct ByteString: Hashable, Sendable {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ string: String) { self.bytes = Array(string.utf8) }
    public init(_ slice: ArraySlice<UInt8>) { self.bytes = Array(slice) }

    public static func == (lhs: ByteString, rhs: ByteString) -> Bool { lhs.bytes == rhs.bytes }

    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }
}

extension Array where Element == UInt32 {
    /// Scalars of `string` as values.
    init(scalarsOf string: String) { self = string.unicodeScalars.map(\.value) }
}

enum UTF8Coding {
    @inline(__always)
    static func append(_ c: UInt32, to out: inout [UInt8]) {
        if c < 0x80 {
            out.append(UInt8(c))
        } else if c < 0x800 {
            out.append(UInt8(0xC0 | c >> 6)); out.append(UInt8(0x80 | c & 0x3F))
        } else if c < 0x10000 {
            out.append(UInt8(0xE0 | c >> 12)); out.append(UInt8(0x80 | c >> 6 & 0x3F)); out.append(UInt8(0x80 | c & 0x3F))
        } else {
            out.append(UInt8(0xF0 | c >> 18)); out.append(UInt8(0x80 | c >> 12 & 0x3F))
            out.append(UInt8(0x80 | c >> 6 & 0x3F)); out.append(UInt8(0x80 | c & 0x3F))
        }
    }

    static func encode(_ scalars: some Sequence<UInt32>) -> [UInt8] {
        var out: [UInt8] = []
        for c in scalars { append(c, to: &out) }
        return out
    }

    static func string(_ scalars: some Sequence<UInt32>) -> String {
        String(decoding: encode(scalars), as: UTF8.self)
    }
}
