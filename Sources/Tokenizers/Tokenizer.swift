/// A loaded tokenizer: the five stages of tokenizer.json plus the added tokens.
///
/// Load one with `Tokenizer(json:)`, `Tokenizer(bertVocab:…)`, `Tokenizer(gpt2Vocab:merges:)`
/// or `Tokenizer(gguf:)`; all take bytes, the caller reads the files.
public struct Tokenizer: Sendable {
    public var normalizer: (any Normalizer)?
    public var preTokenizer: (any PreTokenizer)?
    public var model: any TokenizerModel
    public var postProcessor: (any PostProcessor)?
    public var decoder: (any Decoder)?
    /// Applied by `encode` when set (tokenizer.json `truncation`).
    public var truncation: Truncation?
    /// Applied by `encode` and `encodeBatch` when set (tokenizer.json `padding`).
    public var padding: Padding?
    public private(set) var addedTokens: [AddedToken]
    private var rawMatcher: AddedTokenMatcher
    private var normalizedMatcher: AddedTokenMatcher
    private var addedByID: [Int: AddedToken]

    public init(normalizer: (any Normalizer)? = nil, preTokenizer: (any PreTokenizer)? = nil, model: any TokenizerModel,
                postProcessor: (any PostProcessor)? = nil, decoder: (any Decoder)? = nil, addedTokens: [AddedToken] = []) {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.addedTokens = addedTokens
        rawMatcher = AddedTokenMatcher(addedTokens.filter { !$0.normalized })
        normalizedMatcher = AddedTokenMatcher(addedTokens.filter { $0.normalized })
        addedByID = Dictionary(addedTokens.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The ids of `text` before post-processing (no special tokens added).
    public func tokenize(_ text: String) -> [Int] {
        var ids: [Int] = []
        let scalars = Array(scalarsOf: text)
        for segment in rawMatcher.split(scalars) {
            if let id = segment.id { ids.append(id); continue }
            let segmentAtStart = segment.range.lowerBound == 0
            var normalized = Array(scalars[segment.range])
            if let normalizer { normalized = normalizer.normalize(normalized) }
            for part in normalizedMatcher.split(normalized) {
                if let id = part.id { ids.append(id); continue }
                let piece = normalized[part.range]
                if piece.isEmpty { continue }
                if let preTokenizer {
                    var pieces: [[UInt32]] = []
                    preTokenizer.split(piece, atStart: segmentAtStart && part.range.lowerBound == 0, into: &pieces)
                    for p in pieces { model.tokenize(p, into: &ids) }
                } else {
                    model.tokenize(Array(piece), into: &ids)
                }
            }
        }
        return ids
    }

    /// Encodes one input, or a pair: truncation, the post-processor's special tokens (if asked)
    /// and padding, as configured. Overflowing windows are post-processed too.
    public func encode(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true) -> Encoding {
        var encodings = [encodeUnpadded(text, pair: pair, addSpecialTokens: addSpecialTokens)]
        padding?.apply(&encodings)
        return encodings[0]
    }

    /// Encodes many inputs (or pairs when `pairs` is given, one per input); padding to the
    /// longest applies across the batch. Single-threaded, in order.
    public func encodeBatch(_ texts: [String], pairs: [String]? = nil, addSpecialTokens: Bool = true) -> [Encoding] {
        precondition(pairs == nil || pairs!.count == texts.count, "one pair per input")
        var encodings = texts.indices.map { encodeUnpadded(texts[$0], pair: pairs?[$0], addSpecialTokens: addSpecialTokens) }
        padding?.apply(&encodings)
        return encodings
    }

    /// `encode`, with each token's place in its input (`Encoding.offsets`, in Unicode scalars;
    /// `byteOffsets(_:in:)` converts them). Slower than `encode`.
    public func encodeWithOffsets(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true) -> Encoding {
        var encodings = [encodeUnpadded(text, pair: pair, addSpecialTokens: addSpecialTokens, offsets: true)]
        padding?.apply(&encodings)
        return encodings[0]
    }

    private func encoding(_ text: String, typeID: Int, offsets: Bool) -> Encoding {
        guard offsets else { return Encoding(ids: tokenize(text), typeID: typeID) }
        let (ids, ranges) = tokenizeWithOffsets(text)
        var encoding = Encoding(ids: ids, typeID: typeID)
        encoding.offsets = ranges
        return encoding
    }

    private func encodeUnpadded(_ text: String, pair: String?, addSpecialTokens: Bool, offsets: Bool = false) -> Encoding {
        var first = encoding(text, typeID: 0, offsets: offsets)
        var second = pair.map { encoding($0, typeID: 1, offsets: offsets) }
        let processor: any PostProcessor = postProcessor ?? PassThroughProcessing()
        if let truncation {
            truncation.apply(&first, &second, added: addSpecialTokens ? processor.addedTokens(pair: second != nil) : 0)
        }
        var result = processor.process(first, second, addSpecialTokens: addSpecialTokens)
        // Each window of the first input keeps the whole second input, as tokenizers does.
        result.overflowing = first.overflowing.map { processor.process($0, second, addSpecialTokens: addSpecialTokens) }
        return result
    }

    /// Just the ids of `encode`.
    public func encodeIDs(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        encode(text, addSpecialTokens: addSpecialTokens).ids
    }

    func addedTokenMatcher(normalized: Bool) -> AddedTokenMatcher { normalized ? normalizedMatcher : rawMatcher }

    /// The token of an id: an added token's content, else the model's token.
    public func token(of id: Int) -> String? { addedByID[id]?.content ?? model.token(of: id) }

    /// The id of a token (added tokens first).
    public func id(of token: String) -> Int? {
        addedTokens.first { ByteString($0.content) == ByteString(token) }?.id ?? model.id(of: ByteString(token))
    }

    public func isSpecial(_ id: Int) -> Bool { addedByID[id]?.special ?? false }

    /// Text of `ids`; unknown ids are left out.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if skipSpecialTokens && isSpecial(id) { continue }
            if let token = token(of: id) { tokens.append(token) }
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decodeChain(tokens).joined()
    }

    public var vocabularySize: Int {
        max(model.vocabularySize, (addedTokens.map(\.id).max() ?? -1) + 1)
    }
}
