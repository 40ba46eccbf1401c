/// `Split`: a literal string, or a regex this implementation knows as a scanner (GPT-2's,
/// Llama 3's or Qwen2's); any other regex throws `unsupported` naming its path.
public struct SplitPreTokenizer: PreTokenizer {
    enum Matcher: Sendable { case literal([UInt32]), gpt2, llama3, qwen2 }
    let matcher: Matcher
    public let behavior: SplitBehavior
    public let invert: Bool

    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    public enum Scanner: Sendable { case gpt2, llama3, qwen2 }

    /// A split by one of the known scanners, in `Isolated` mode.
    public static func scanner(_ scanner: Scanner) -> SplitPreTokenizer {
        let matcher: Matcher
        switch scanner {
        case .gpt2: matcher = .gpt2
        case .llama3: matcher = .llama3
        case .qwen2: matcher = .qwen2
        }
        return SplitPreTokenizer(matcher: matcher, behavior: .isolated, invert: false)
    }

    init(matcher: Matcher, behavior: SplitBehavior, invert: Bool) {
        self.matcher = matcher
        self.behavior = behavior
        self.invert = invert
    }

    init(_ node: JSONNode) throws(TokenizerError) {
        let pattern = try node.required("pattern")
        if let regex = try pattern.optional("Regex"), try regex.string() == Self.gpt2Pattern {
            matcher = .gpt2
        } else if let regex = try pattern.optional("Regex"), try regex.string() == Llama3Scanner.pattern {
            matcher = .llama3
        } else if let regex = try pattern.optional("Regex"), try regex.string() == Llama3Scanner.qwen2Pattern {
            matcher = .qwen2
        } else {
            matcher = .literal(Array(scalarsOf: try Pattern.literal(pattern)))
        }
        behavior = try SplitBehavior(node, default: .isolated)
        invert = try node.bool("invert", default: false)
        if invert { throw .unsupported(path: node.child("invert"), type: "true") }
    }

    public func split(_ text: ArraySlice<UInt32>, into pieces: inout [[UInt32]]) {
        var matches: [Range<Int>] = []
        switch matcher {
        case .gpt2: matches = GPT2Scanner.matches(text)
        case .llama3: matches = Llama3Scanner.matches(text)
        case .qwen2: matches = Llama3Scanner.matches(text, maxDigits: 1)
        case .literal(let pattern):
            guard !pattern.isEmpty else { break }
            var i = text.startIndex
            while i + pattern.count <= text.endIndex {
                if text[i..<(i + pattern.count)].elementsEqual(pattern) {
                    matches.append(i..<(i + pattern.count))
                    i += pattern.count
                } else {
                    i += 1
                }
            }
        }
        behavior.apply(text, matches: matches, into: &pieces)
    }
}
