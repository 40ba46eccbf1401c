/// Unicode normalization forms (UAX #15) over scalar values, from the generated tables.
public enum Normalization {
    private static let sBase: UInt32 = 0xAC00, lBase: UInt32 = 0x1100, vBase: UInt32 = 0x1161
    private static let tBase: UInt32 = 0x11A7, lCount: UInt32 = 19, vCount: UInt32 = 21
    private static let tCount: UInt32 = 28, nCount: UInt32 = 588, sCount: UInt32 = 11172

    public static func nfd(_ text: [UInt32]) -> [UInt32] { decompose(text, compatibility: false) }
    public static func nfkd(_ text: [UInt32]) -> [UInt32] { decompose(text, compatibility: true) }
    public static func nfc(_ text: [UInt32]) -> [UInt32] { compose(decompose(text, compatibility: false)) }
    public static func nfkc(_ text: [UInt32]) -> [UInt32] { compose(decompose(text, compatibility: true)) }

    /// Full decomposition, then canonical ordering of combining marks.
    public static func decompose(_ text: [UInt32], compatibility: Bool) -> [UInt32] {
        let tables = UnicodeTables.shared
        var out: [UInt32] = []
        out.reserveCapacity(text.count)
        for c in text {
            if c < 0xC0 && !(compatibility && c >= 0xA0) {
                out.append(c)
            } else if c >= sBase && c < sBase + sCount {
                let s = c - sBase
                out.append(lBase + s / nCount)
                out.append(vBase + (s % nCount) / tCount)
                if s % tCount != 0 { out.append(tBase + s % tCount) }
            } else if compatibility, let mapped = tables.compatibility[c] {
                out.append(contentsOf: mapped)
            } else if let mapped = tables.canonical[c] {
                out.append(contentsOf: mapped)
            } else {
                out.append(c)
            }
        }
        reorder(&out)
        return out
    }

    static func reorder(_ text: inout [UInt32]) {
        var none: [Int] = []
        reorder(&text, carrying: &none)
    }

    /// Canonical ordering: a stable sort of each run of non-starters by combining class.
    /// `carried` (empty, or one value per scalar) moves with the scalars.
    static func reorder(_ text: inout [UInt32], carrying carried: inout [Int]) {
        let carry = !carried.isEmpty
        var i = 0
        while i < text.count {
            guard UnicodeProperties.combiningClass(text[i]) != 0 else { i += 1; continue }
            var end = i
            while end < text.count && UnicodeProperties.combiningClass(text[end]) != 0 { end += 1 }
            if end - i > 1 {
                // Insertion sort keeps equal classes in order (stable).
                for j in (i + 1)..<end {
                    let value = text[j]
                    let carriedValue = carry ? carried[j] : 0
                    let ccc = UnicodeProperties.combiningClass(value)
                    var k = j
                    while k > i && UnicodeProperties.combiningClass(text[k - 1]) > ccc {
                        text[k] = text[k - 1]
                        if carry { carried[k] = carried[k - 1] }
                        k -= 1
                    }
                    text[k] = value
                    if carry { carried[k] = carriedValue }
                }
            }
            i = end
        }
    }

    /// Canonical composition of decomposed, ordered text.
    public static func compose(_ text: [UInt32]) -> [UInt32] { composeTracking(text).scalars }

    /// Composition, with the input index each output scalar starts from.
    static func composeTracking(_ text: [UInt32]) -> (scalars: [UInt32], kept: [Int]) {
        var kept: [Int] = []
        guard !text.isEmpty else { return (text, kept) }
        let compositions = UnicodeTables.shared.compositions
        var out: [UInt32] = []
        out.reserveCapacity(text.count)
        var starter: Int? = nil
        var lastClass: Int = -1
        for (index, c) in text.enumerated() {
            let ccc = Int(UnicodeProperties.combiningClass(c))
            if let s = starter {
                let first = out[s]
                // Blocked when a character of equal or higher class (or a starter) sits between.
                let blocked = lastClass != -1 && (lastClass >= ccc || lastClass == 0)
                if !blocked || (lastClass == -1) {
                    if let composed = composePair(first, c, compositions) {
                        out[s] = composed
                        continue
                    }
                }
            }
            if ccc == 0 {
                starter = out.count
                lastClass = -1
            } else {
                lastClass = ccc
            }
            out.append(c)
            kept.append(index)
        }
        return (out, kept)
    }

    private static func composePair(_ a: UInt32, _ b: UInt32, _ table: [UInt64: UInt32]) -> UInt32? {
        if a >= lBase && a < lBase + lCount && b >= vBase && b < vBase + vCount {
            return sBase + ((a - lBase) * vCount + (b - vBase)) * tCount
        }
        if a >= sBase && a < sBase + sCount && (a - sBase) % tCount == 0 && b > tBase && b < tBase + tCount {
            return a + (b - tBase)
        }
        if a < 0x3C && b < 0x300 { return nil }
        return table[UInt64(a) << 32 | UInt64(b)]
    }
}
