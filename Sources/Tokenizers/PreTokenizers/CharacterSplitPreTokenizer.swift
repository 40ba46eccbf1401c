/// Splits on single characters of one class: whitespace (WhitespaceSplit), punctuation
/// (Punctuation) or digits (Digits).
public struct CharacterSplitPreTokenizer: PreTokenizer {
    public enum Kind: Sendable { case whitespace, punctuation, digit }
    public let kind: Kind
    public let behavior: SplitBehavior

    public func split(_ text: ArraySlice<UInt32>, into pieces: inout [[UInt32]]) {
        var matches: [Range<Int>] = []
        for i in text.indices {
            let c = text[i]
            let hit: Bool
            switch kind {
            case .whitespace: hit = UnicodeProperties.isWhiteSpace(c)
            case .punctuation: hit = UnicodeProperties.isBertPunctuation(c)
            case .digit: hit = UnicodeProperties.isNumber(c)
            }
            if hit { matches.append(i..<(i + 1)) }
        }
        behavior.apply(text, matches: matches, into: &pieces)
    }
}

/// BERT: whitespace separates and disappears; each punctuation character stands alone.
public struct BertPreTokenizer: PreTokenizer {
    public init() {}
    public func split(_ text: ArraySlice<UInt32>, into pieces: inout [[UInt32]]) {
        var start = text.startIndex
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if UnicodeProperties.isWhiteSpace(c) {
                if i > start { pieces.append(Array(text[start..<i])) }
                start = i + 1
            } else if UnicodeProperties.isBertPunctuation(c) {
                if i > start { pieces.append(Array(text[start..<i])) }
                pieces.append([c])
                start = i + 1
            }
            i += 1
        }
        if start < text.endIndex { pieces.append(Array(text[start..<text.endIndex])) }
    }
}

/// `\w+|[^\w\s]+`, with Rust regex's Unicode `\w`.
public struct WhitespacePreTokenizer: PreTokenizer {
    public init() {}

    static func isWord(_ c: UInt32) -> Bool {
        if c < 0x80 { return UnicodeProperties.isLetter(c) || UnicodeProperties.isNumber(c) || c == 0x5F }
        if c == 0x200C || c == 0x200D { return true }
        let category = UnicodeProperties.category(c)
        return category.isLetter || category.isMark || category == .Nd || category == .Nl || category == .Pc
    }

    public func split(_ text: ArraySlice<UInt32>, into pieces: inout [[UInt32]]) {
        var i = text.startIndex
        while i < text.endIndex {
            if UnicodeProperties.isWhiteSpace(text[i]) { i += 1; continue }
            let word = Self.isWord(text[i])
            let start = i
            while i < text.endIndex && !UnicodeProperties.isWhiteSpace(text[i]) && Self.isWord(text[i]) == word { i += 1 }
            pieces.append(Array(text[start..<i]))
        }
    }
}
