import JSON

extension Tokenizer {
    /// Loads a Hugging Face `tokenizer.json`. Unknown stage types and malformed values throw a
    /// `TokenizerError` naming the JSON path.
    public init(json bytes: [UInt8]) throws(TokenizerError) {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes, maxDepth: 64)
        } catch {
            throw .malformed(path: "$", reason: error.description)
        }
        let root = JSONNode(value, path: "")
        guard value.object != nil else { throw .malformed(path: "$", reason: "expected an object, found \(value.typeName)") }
        var added: [AddedToken] = []
        if let list = try root.optional("added_tokens") {
            for item in try list.array() {
                added.append(AddedToken(
                    id: try item.int("id"), content: try item.string("content"), special: try item.bool("special", default: false),
                    singleWord: try item.bool("single_word", default: false), lstrip: try item.bool("lstrip", default: false),
                    rstrip: try item.bool("rstrip", default: false), normalized: try item.bool("normalized", default: false)))
            }
        }
        let model = try ModelFactory.make(try root.required("model"))
        // Added tokens extend the model's ids; one huge id would make every id-indexed table huge.
        let idLimit = model.vocabularySize + added.count + ModelFactory.maxUnusedIDs
        for (n, token) in added.enumerated() where token.id < 0 || token.id >= idLimit {
            throw .malformed(path: "added_tokens[\(n)].id", reason: "id \(token.id) is outside 0..<\(idLimit) (the vocabulary's \(model.vocabularySize) ids and the added tokens)")
        }
        self.init(
            normalizer: try root.optional("normalizer").map { (n: JSONNode) throws(TokenizerError) in try NormalizerFactory.make(n) },
            preTokenizer: try root.optional("pre_tokenizer").map { (n: JSONNode) throws(TokenizerError) in try PreTokenizerFactory.make(n) },
            model: model,
            postProcessor: try root.optional("post_processor").map { (n: JSONNode) throws(TokenizerError) in try PostProcessorFactory.make(n) },
            decoder: try root.optional("decoder").map { (n: JSONNode) throws(TokenizerError) in try DecoderFactory.make(n) },
            addedTokens: added)
        truncation = try root.optional("truncation").map { (n: JSONNode) throws(TokenizerError) in try Truncation(n) }
        padding = try root.optional("padding").map { (n: JSONNode) throws(TokenizerError) in try Padding(n) }
    }

    /// BERT from `vocab.txt`, as transformers builds it (`BertTokenizerFast`). `lowercase`
    /// comes from `tokenizer_config.json`'s `do_lower_case` (see `bertLowercase(config:)`).
    public init(bertVocab: [UInt8], lowercase: Bool = true, stripAccents: Bool? = nil) throws(TokenizerError) {
        let model = try WordPiece(vocabText: bertVocab)
        var added: [AddedToken] = []
        for name in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] {
            if let id = model.id(of: ByteString(name)) { added.append(AddedToken(id: id, content: name, special: true)) }
        }
        guard let cls = model.id(of: ByteString("[CLS]")), let sep = model.id(of: ByteString("[SEP]")) else {
            throw .malformed(path: "vocab.txt", reason: "[CLS] and [SEP] must be in the vocabulary")
        }
        self.init(
            normalizer: BertNormalizer(stripAccents: stripAccents ?? lowercase, lowercase: lowercase),
            preTokenizer: BertPreTokenizer(), model: model,
            postProcessor: TemplateProcessing(cls: cls, sep: sep, roberta: false),
            decoder: WordPieceDecoder(prefix: "##", cleanup: true), addedTokens: added)
    }

    /// `do_lower_case` (default true) and `strip_accents` of a `tokenizer_config.json`.
    public static func bertOptions(config bytes: [UInt8]) throws(TokenizerError) -> (lowercase: Bool, stripAccents: Bool?) {
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw .malformed(path: "tokenizer_config.json", reason: error.description) }
        let root = JSONNode(value, path: "")
        return (try root.bool("do_lower_case", default: true), try root.optional("strip_accents")?.bool())
    }
}
