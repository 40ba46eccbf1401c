/// A hand-written scanner equal to GPT-2's split pattern, on Unicode scalars:
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// `\s` is White_Space, as in Oniguruma, which HF tokenizers uses.
public enum GPT2Scanner {
    /// The ranges of `text` the pattern matches, in order; together they cover `text`.
    public static func matches(_ text: ArraySlice<UInt32>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        result.reserveCapacity(text.count / 3 + 1)
        var i = text.startIndex
        let end = text.endIndex
        while i < end {
            let next = token(text, at: i, end: end)
            result.append(i..<next)
            i = next
        }
        return result
    }

    /// The end of the token that starts at `i`.
    @inline(__always)
    static func token(_ text: ArraySlice<UInt32>, at i: Int, end: Int) -> Int {
        let c = text[i]
        if c == 0x27, i + 1 < end {  // '
            let a = text[i + 1]
            if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 { return i + 2 }  // s t m d
            if i + 2 < end {
                let b = text[i + 2]
                if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) { return i + 3 }
            }
        }
        var start = i
        var kind = ScalarClass.of(c)
        if c == 0x20, i + 1 < end {
            let after = ScalarClass.of(text[i + 1])
            if after != .space {
                start = i + 1
                kind = after
            }
        }
        if kind != .space {
            var j = start + 1
            while j < end && ScalarClass.of(text[j]) == kind { j += 1 }
            return j
        }
        var j = i + 1
        while j < end && ScalarClass.of(text[j]) == .space { j += 1 }
        if j == end || j - i == 1 { return j }
        return j - 1
    }
}
