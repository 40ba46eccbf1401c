/// The second stage of tokenizer.json: cuts normalized text into pieces the model sees alone.
public protocol PreTokenizer: Sendable {
    /// Appends the pieces of `text` to `pieces`.
    func split(_ text: ArraySlice<UInt32>, into pieces: inout [[UInt32]])
}

extension PreTokenizer {
    public func split(_ text: [UInt32]) -> [[UInt32]] {
        var pieces: [[UInt32]] = []
        split(text[...], into: &pieces)
        return pieces
    }
}

/// The pre-tokenizer types of tokenizer.json's `"pre_tokenizer"`, by their `"type"`.
public enum PreTokenizerKind: String, Sendable {
    case bert = "BertPreTokenizer", byteLevel = "ByteLevel", split = "Split", whitespace = "Whitespace"
    case whitespaceSplit = "WhitespaceSplit", punctuation = "Punctuation", digits = "Digits"
    case metaspace = "Metaspace", sequence = "Sequence"
}

enum PreTokenizerFactory {
    static func make(_ node: JSONNode) throws(TokenizerError) -> any PreTokenizer {
        let type = try node.type()
        guard let kind = PreTokenizerKind(rawValue: type) else {
            throw .unsupported(path: node.child("type"), type: type)
        }
        switch kind {
        case .bert: return BertPreTokenizer()
        case .byteLevel:
            return ByteLevelPreTokenizer(
                addPrefixSpace: try node.bool("add_prefix_space", default: true),
                useRegex: try node.bool("use_regex", default: true))
        case .split: return try SplitPreTokenizer(node)
        case .whitespace: return WhitespacePreTokenizer()
        case .whitespaceSplit: return CharacterSplitPreTokenizer(kind: .whitespace, behavior: .removed)
        case .punctuation:
            return CharacterSplitPreTokenizer(kind: .punctuation, behavior: try SplitBehavior(node, default: .isolated))
        case .digits:
            let individual = try node.bool("individual_digits", default: false)
            return CharacterSplitPreTokenizer(kind: .digit, behavior: individual ? .isolated : .contiguous)
        case .metaspace: return try MetaspacePreTokenizer(node)
        case .sequence:
            var stages: [any PreTokenizer] = []
            for child in try node.required("pretokenizers").array() { stages.append(try make(child)) }
            return SequencePreTokenizer(stages: stages)
        }
    }
}

public struct SequencePreTokenizer: PreTokenizer {
    public let stages: [any PreTokenizer]
    public func split(_ text: ArraySlice<UInt32>, into pieces: inout [[UInt32]]) {
        var current = [Array(text)]
        for stage in stages {
            var next: [[UInt32]] = []
            for piece in current { stage.split(piece[...], into: &next) }
            current = next
        }
        pieces.append(contentsOf: current)
    }
}

/// How a split treats what it matched (tokenizers' `SplitDelimiterBehavior`).
public enum SplitBehavior: String, Sendable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"

    init(_ node: JSONNode, default fallback: SplitBehavior) throws(TokenizerError) {
        guard let value = try node.optional("behavior") else { self = fallback; return }
        let name = try value.string()
        guard let behavior = SplitBehavior(rawValue: name) else { throw .unsupported(path: value.path, type: name) }
        self = behavior
    }

    /// Cuts `text` at `matches` (sorted, non-overlapping ranges) and appends the non-empty pieces.
    func apply(_ text: ArraySlice<UInt32>, matches: [Range<Int>], into pieces: inout [[UInt32]]) {
        // Segments in order, each flagged as a match or not.
        var segments: [(range: Range<Int>, isMatch: Bool)] = []
        var at = text.startIndex
        for m in matches {
            if m.lowerBound > at { segments.append((at..<m.lowerBound, false)) }
            if self == .contiguous, let last = segments.last, last.isMatch, last.range.upperBound == m.lowerBound {
                segments[segments.count - 1].range = last.range.lowerBound..<m.upperBound
            } else {
                segments.append((m, true))
            }
            at = m.upperBound
        }
        if at < text.endIndex { segments.append((at..<text.endIndex, false)) }
        var out: [Range<Int>] = []
        switch self {
        case .removed: out = segments.filter { !$0.isMatch }.map(\.range)
        case .isolated, .contiguous: out = segments.map(\.range)
        case .mergedWithPrevious:
            var previousMatch = false
            for s in segments {
                if s.isMatch && !previousMatch, let last = out.last {
                    out[out.count - 1] = last.lowerBound..<s.range.upperBound
                } else {
                    out.append(s.range)
                }
                previousMatch = s.isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for s in segments.reversed() {
                if s.isMatch && !previousMatch, let last = out.last {
                    out[out.count - 1] = s.range.lowerBound..<last.upperBound
                } else {
                    out.append(s.range)
                }
                previousMatch = s.isMatch
            }
            out.reverse()
        }
        for r in out where !r.isEmpty { pieces.append(Array(text[r])) }
    }
}
