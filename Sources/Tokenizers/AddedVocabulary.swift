/// A token matched whole in the text before the model sees it (tokenizer.json `added_tokens`).
public struct AddedToken: Sendable, Equatable {
    public var id: Int
    public var content: String
    public var special: Bool
    public var singleWord: Bool
    public var lstrip: Bool
    public var rstrip: Bool
    /// Matched in normalized text rather than in the input.
    public var normalized: Bool

    public init(id: Int, content: String, special: Bool, singleWord: Bool = false, lstrip: Bool = false,
                rstrip: Bool = false, normalized: Bool = false) {
        self.id = id
        self.content = content
        self.special = special
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
    }
}

/// Finds added tokens in text, leftmost-longest and without overlaps, as tokenizers does.
struct AddedTokenMatcher: Sendable {
    private let tokens: [(scalars: [UInt32], token: AddedToken)]
    /// Candidates by first scalar, longest first.
    private let byFirst: [UInt32: [Int]]

    init(_ tokens: [AddedToken]) {
        let list = tokens.filter { !$0.content.isEmpty }.map { (Array(scalarsOf: $0.content), $0) }
        var byFirst: [UInt32: [Int]] = [:]
        for (n, entry) in list.enumerated() { byFirst[entry.0[0], default: []].append(n) }
        for key in byFirst.keys { byFirst[key]!.sort { list[$0].0.count > list[$1].0.count } }
        self.tokens = list
        self.byFirst = byFirst
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Segments of `text` in order: runs without added tokens (id nil) and matched tokens.
    func split(_ text: [UInt32]) -> [(range: Range<Int>, id: Int?)] {
        guard !tokens.isEmpty else { return [(0..<text.count, nil)] }
        var segments: [(range: Range<Int>, id: Int?)] = []
        var startOffset = 0
        var i = 0
        while i < text.count {
            guard let candidates = byFirst[text[i]],
                  let n = candidates.first(where: { i + tokens[$0].scalars.count <= text.count
                      && text[i..<(i + tokens[$0].scalars.count)].elementsEqual(tokens[$0].scalars) })
            else { i += 1; continue }
            let token = tokens[n].token
            var start = i, stop = i + tokens[n].scalars.count
            i = stop
            if token.singleWord {
                let before = start == 0 || !WhitespacePreTokenizer.isWord(text[start - 1])
                let after = stop == text.count || !WhitespacePreTokenizer.isWord(text[stop])
                if !before || !after { continue }
            }
            if token.lstrip {
                while start > startOffset && UnicodeProperties.isWhiteSpace(text[start - 1]) { start -= 1 }
            }
            if token.rstrip {
                while stop < text.count && UnicodeProperties.isWhiteSpace(text[stop]) { stop += 1 }
                i = stop
            }
            if startOffset < start { segments.append((startOffset..<start, nil)) }
            segments.append((start..<stop, token.id))
            startOffset = stop
        }
        if startOffset < text.count { segments.append((startOffset..<text.count, nil)) }
        return segments
    }
}
