/// BERT's normalizer: drops control characters and maps whitespace to a space (clean_text),
/// puts spaces around CJK ideographs, removes accents (NFD, then drop Mn) and lowercases.
public struct BertNormalizer: Normalizer {
    public var cleanText: Bool
    public var handleChineseChars: Bool
    public var stripAccents: Bool
    public var lowercase: Bool

    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool = true, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    public func normalize(_ text: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.count + 8)
        var ascii = true
        for c in text {
            if cleanText {
                if c == 0 || c == 0xFFFD || Self.isControl(c) { continue }
                if Self.isWhitespace(c) { out.append(0x20); continue }
            }
            if handleChineseChars && c >= 0x3400 && UnicodeProperties.isChineseChar(c) {
                out.append(0x20); out.append(c); out.append(0x20)
                ascii = false  // NFD still applies: compatibility ideographs (U+F900…) decompose (found by fuzz/run tokenize)
                continue
            }
            if c >= 0x80 { ascii = false }
            out.append(c)
        }
        if stripAccents && !ascii {
            out = Normalization.nfd(out).filter { !BertAccents.strips($0) }
        }
        if lowercase { out = LowercaseNormalizer().normalize(out) }
        return out
    }

    /// Cc, Cf, Co or Cs, as the `unicode_categories` crate's `is_other` that tokenizers uses:
    /// unassigned scalars (Cn) are kept. Tab, newline and carriage return are whitespace.
    static func isControl(_ c: UInt32) -> Bool {
        if c == 9 || c == 10 || c == 13 { return false }
        if c >= 0x20 && c < 0x7F { return false }
        let category = UnicodeProperties.category(c)
        return category.isOther && category != .Cn
    }

    static func isWhitespace(_ c: UInt32) -> Bool { UnicodeProperties.isWhiteSpace(c) }
}
