/// GPT-2's byte-level pre-tokenizer: optionally a leading space, the GPT-2 split, then every
/// UTF-8 byte written as one scalar of the byte alphabet (`ByteLevelAlphabet`).
public struct ByteLevelPreTokenizer: PreTokenizer {
    public var addPrefixSpace: Bool
    public var useRegex: Bool

    public init(addPrefixSpace: Bool = false, useRegex: Bool = true) {
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
    }

    public func split(_ text: ArraySlice<UInt32>, into pieces: inout [[UInt32]]) {
        var text = text
        if addPrefixSpace && text.first != 0x20 { text = ([0x20] + text)[...] }
        if !useRegex {
            pieces.append(Self.toAlphabet(text))
            return
        }
        for range in GPT2Scanner.matches(text) { pieces.append(Self.toAlphabet(text[range])) }
    }

    static func toAlphabet(_ text: ArraySlice<UInt32>) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.count)
        var bytes: [UInt8] = []
        for c in text {
            if c < 0x80 {
                out.append(ByteLevelAlphabet.scalar(UInt8(c)))
            } else {
                bytes.removeAll(keepingCapacity: true)
                UTF8Coding.append(c, to: &bytes)
                for b in bytes { out.append(ByteLevelAlphabet.scalar(b)) }
            }
        }
        return out
    }
}

/// GPT-2's bytes-to-unicode table: printable bytes stand for themselves, the other 68 are
/// shifted to 256 and up, so every byte is a visible character.
public enum ByteLevelAlphabet {
    static let toScalar: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var extra: UInt32 = 0
        for b in 0..<256 {
            if (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = 256 + extra
                extra += 1
            }
        }
        return table
    }()

    static let toByte: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (b, s) in toScalar.enumerated() { map[s] = UInt8(b) }
        return map
    }()

    @inline(__always)
    public static func scalar(_ byte: UInt8) -> UInt32 { toScalar[Int(byte)] }

    public static func byte(_ scalar: UInt32) -> UInt8? {
        if scalar < 256 && toScalar[Int(scalar)] == scalar { return UInt8(scalar) }
        return toByte[scalar]
    }
}
