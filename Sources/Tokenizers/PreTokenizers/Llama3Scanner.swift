/// A hand-written scanner equal to Llama 3's split pattern (also used by many GGUF
/// pre-tokenizer types), on Unicode scalars:
///
///     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
///
/// and Qwen2's, the same with `\p{N}` (one digit a piece) for `\p{N}{1,3}`.
public enum Llama3Scanner {
    public static let pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    public static let qwen2Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// `maxDigits` is 3 for Llama 3, 1 for Qwen2.
    public static func matches(_ text: ArraySlice<UInt32>, maxDigits: Int = 3) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var i = text.startIndex
        while i < text.endIndex {
            let next = token(text, at: i, end: text.endIndex, maxDigits: maxDigits)
            result.append(i..<next)
            i = next
        }
        return result
    }

    @inline(__always)
    private static func isNewline(_ c: UInt32) -> Bool { c == 0x0A || c == 0x0D }

    static func token(_ text: ArraySlice<UInt32>, at i: Int, end: Int, maxDigits: Int) -> Int {
        let c = text[i]
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if c == 0x27, i + 1 < end {
            let a = text[i + 1] | 0x20
            if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 { return i + 2 }
            if i + 2 < end {
                let b = text[i + 2] | 0x20
                if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) { return i + 3 }
            }
        }
        let kind = ScalarClass.of(c)
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if kind == .letter || (!isNewline(c) && kind != .number && i + 1 < end && ScalarClass.of(text[i + 1]) == .letter) {
            var j = kind == .letter ? i + 1 : i + 2
            while j < end && ScalarClass.of(text[j]) == .letter { j += 1 }
            return j
        }
        // \p{N}{1,3} (or \p{N})
        if kind == .number {
            var j = i + 1
            while j < end && j < i + maxDigits && ScalarClass.of(text[j]) == .number { j += 1 }
            return j
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        let otherStart = c == 0x20 && i + 1 < end && ScalarClass.of(text[i + 1]) == .other ? i + 1 : i
        if ScalarClass.of(text[otherStart]) == .other {
            var j = otherStart + 1
            while j < end && ScalarClass.of(text[j]) == .other { j += 1 }
            while j < end && isNewline(text[j]) { j += 1 }
            return j
        }
        // Whitespace: \s*[\r\n]+ (up to the last newline of the run), then \s+(?!\S), then \s+.
        var j = i + 1
        while j < end && ScalarClass.of(text[j]) == .space { j += 1 }
        if let lastNewline = text[i..<j].lastIndex(where: isNewline) { return lastNewline + 1 }
        if j == end || j - i == 1 { return j }
        return j - 1
    }
}
