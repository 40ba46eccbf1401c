/// SentencePiece-style: spaces become `replacement` (▁), one is put in front (always, never, or
/// only for the text at the start of the input: `first`), and optionally the text is split so
/// that each piece starts with it.
public struct MetaspacePreTokenizer: PreTokenizer {
    public enum PrependScheme: String, Sendable { case always, never, first }

    public let replacement: UInt32
    public let prependScheme: PrependScheme
    public let splitPieces: Bool

    public init(replacement: UInt32 = 0x2581, prependScheme: PrependScheme = .always, split: Bool = true) {
        self.replacement = replacement
        self.prependScheme = prependScheme
        self.splitPieces = split
    }

    init(_ node: JSONNode) throws(TokenizerError) {
        let replacement = Array(scalarsOf: try node.string("replacement", default: "\u{2581}"))
        guard replacement.count == 1 else { throw .malformed(path: node.child("replacement"), reason: "expected one character") }
        let fallback = try node.bool("add_prefix_space", default: true) ? "always" : "never"
        let name = try node.string("prepend_scheme", default: fallback)
        guard let scheme = PrependScheme(rawValue: name) else { throw .unsupported(path: node.child("prepend_scheme"), type: name) }
        self.init(replacement: replacement[0], prependScheme: scheme, split: try node.bool("split", default: true))
    }

    /// Whether text gets the replacement in front; `atStart`: the text begins the input.
    func prepends(atStart: Bool) -> Bool {
        prependScheme == .always || (prependScheme == .first && atStart)
    }

    public func split(_ text: ArraySlice<UInt32>, into pieces: inout [[UInt32]]) {
        split(text, atStart: true, into: &pieces)
    }

    func split(_ text: ArraySlice<UInt32>, atStart: Bool, into pieces: inout [[UInt32]]) {
        var replaced = text.map { $0 == 0x20 ? replacement : $0 }
        if prepends(atStart: atStart) && !replaced.isEmpty && replaced.first != replacement { replaced.insert(replacement, at: 0) }
        guard splitPieces else { pieces.append(replaced); return }
        let matches = replaced.indices.filter { replaced[$0] == replacement }.map { $0..<($0 + 1) }
        SplitBehavior.mergedWithNext.apply(replaced[...], matches: matches, into: &pieces)
    }
}

extension PreTokenizer {
    /// `split`, knowing whether `text` begins the input (Metaspace's `first` scheme needs it;
    /// in a Sequence, only the first piece of such text does).
    func split(_ text: ArraySlice<UInt32>, atStart: Bool, into pieces: inout [[UInt32]]) {
        switch self {
        case let metaspace as MetaspacePreTokenizer:
            metaspace.split(text, atStart: atStart, into: &pieces)
        case let sequence as SequencePreTokenizer:
            var current: [([UInt32], Bool)] = [(Array(text), atStart)]
            for stage in sequence.stages {
                var next: [([UInt32], Bool)] = []
                for (piece, first) in current {
                    var out: [[UInt32]] = []
                    stage.split(piece[...], atStart: first, into: &out)
                    for (n, p) in out.enumerated() { next.append((p, first && n == 0)) }
                }
                current = next
            }
            pieces += current.map(\.0)
        default:
            split(text, into: &pieces)
        }
    }
}
