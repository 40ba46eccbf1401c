/// Unicode general categories, as the two-letter names of UnicodeData.txt.
public enum GeneralCategory: UInt8, Sendable {
    case Lu, Ll, Lt, Lm, Lo, Mn, Mc, Me, Nd, Nl, No, Pc, Pd, Ps, Pe, Pi, Pf, Po
    case Sm, Sc, Sk, So, Zs, Zl, Zp, Cc, Cf, Cs, Co, Cn

    init?(name: UInt8, _ second: UInt8) {
        let table: [(UInt8, UInt8, GeneralCategory)] = [
            (76, 117, .Lu), (76, 108, .Ll), (76, 116, .Lt), (76, 109, .Lm), (76, 111, .Lo),
            (77, 110, .Mn), (77, 99, .Mc), (77, 101, .Me), (78, 100, .Nd), (78, 108, .Nl), (78, 111, .No),
            (80, 99, .Pc), (80, 100, .Pd), (80, 115, .Ps), (80, 101, .Pe), (80, 105, .Pi), (80, 102, .Pf),
            (80, 111, .Po), (83, 109, .Sm), (83, 99, .Sc), (83, 107, .Sk), (83, 111, .So), (90, 115, .Zs),
            (90, 108, .Zl), (90, 112, .Zp), (67, 99, .Cc), (67, 102, .Cf), (67, 115, .Cs), (67, 111, .Co),
            (67, 110, .Cn),
        ]
        guard let found = table.first(where: { $0.0 == name && $0.1 == second }) else { return nil }
        self = found.2
    }

    public var isLetter: Bool { rawValue <= GeneralCategory.Lo.rawValue }
    public var isMark: Bool { self == .Mn || self == .Mc || self == .Me }
    public var isNumber: Bool { self == .Nd || self == .Nl || self == .No }
    public var isPunctuation: Bool { rawValue >= GeneralCategory.Pc.rawValue && rawValue <= GeneralCategory.Po.rawValue }
    public var isSymbol: Bool { rawValue >= GeneralCategory.Sm.rawValue && rawValue <= GeneralCategory.So.rawValue }
    /// Category C: Cc, Cf, Cs, Co, Cn (Rust's `char::is_other`, what BERT calls control).
    public var isOther: Bool { rawValue >= GeneralCategory.Cc.rawValue }
}

/// Character properties from the generated tables (see scripts/gen-unicode-tables).
public enum UnicodeProperties {
    /// The Unicode version of the generated tables.
    public static var version: String { UnicodeTables.version }

    public static func category(_ scalar: UInt32) -> GeneralCategory {
        UnicodeTables.shared.category(scalar)
    }

    /// The White_Space property (Rust's `char::is_whitespace`, Oniguruma's `\s`).
    @inline(__always)
    public static func isWhiteSpace(_ c: UInt32) -> Bool {
        if c < 0x80 { return c == 0x20 || (c >= 0x09 && c <= 0x0D) }
        return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028
            || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000
    }

    @inline(__always)
    public static func isLetter(_ c: UInt32) -> Bool {
        if c < 0x80 { return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
        return category(c).isLetter
    }

    @inline(__always)
    public static func isNumber(_ c: UInt32) -> Bool {
        if c < 0x80 { return c >= 0x30 && c <= 0x39 }
        return category(c).isNumber
    }

    /// BERT's punctuation: ASCII punctuation or category P.
    public static func isBertPunctuation(_ c: UInt32) -> Bool {
        if (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126) {
            return true
        }
        return category(c).isPunctuation
    }

    /// BERT's CJK ideographs (the blocks BertNormalizer surrounds with spaces).
    public static func isChineseChar(_ c: UInt32) -> Bool {
        (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
            || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF)
            || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F)
    }

    public static func combiningClass(_ c: UInt32) -> UInt8 {
        c < 0x300 ? 0 : UnicodeTables.shared.combiningClass(c)
    }

    /// Appends the full lowercase mapping of `c` (one to three scalars).
    @inline(__always)
    public static func appendLowercase(_ c: UInt32, to out: inout [UInt32]) {
        if c < 0x80 {
            out.append(c >= 0x41 && c <= 0x5A ? c + 32 : c)
        } else if let mapped = UnicodeTables.shared.lowercase[c] {
            out.append(contentsOf: mapped)
        } else {
            out.append(c)
        }
    }
}
