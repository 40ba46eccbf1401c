import GGUF

extension Tokenizer {
    /// The tokenizer stored in a GGUF file's `tokenizer.ggml.*` metadata, built as transformers
    /// builds it (`AutoTokenizer.from_pretrained(dir, gguf_file=…)`). Supports the byte-level
    /// BPE model `gpt2`, with GPT-2's split (e.g. pre-tokenizer `smollm`, or any type transformers
    /// does not list), Llama 3's (`llama-bpe`, `llama3`, `dbrx`, `smaug-bpe`, …) or Qwen2's (`qwen2`,
    /// `deepseek-r1-qwen`, …); and SentencePiece BPE (`llama`, see `sentencePiece`). Other models
    /// (`t5`, …) and the Qwen3.5, GPT-4o and Tekken split patterns throw `unsupported`.
    public init(gguf file: GGUFFile) throws(TokenizerError) {
        func key(_ name: String) -> String { "tokenizer.ggml.\(name)" }
        guard let model = file[key("model")]?.string else { throw .malformed(path: key("model"), reason: "missing") }
        guard model == "gpt2" || model == "llama" else { throw .unsupported(path: key("model"), type: model) }
        let pre = file[key("pre")]?.string ?? "default"
        let split: SplitPreTokenizer.Scanner? = Self.ggufLlama3PreTokenizers.contains(pre) ? .llama3
            : Self.ggufQwen2PreTokenizers.contains(pre) ? .qwen2 : nil
        if Self.ggufOtherSplitPreTokenizers.contains(pre) { throw .unsupported(path: key("pre"), type: pre) }
        guard let tokenValues = file[key("tokens")]?.array else { throw .malformed(path: key("tokens"), reason: "missing") }
        var tokens: [String] = []
        tokens.reserveCapacity(tokenValues.count)
        for (n, value) in tokenValues.enumerated() {
            guard let token = value.string else { throw .malformed(path: "\(key("tokens"))[\(n)]", reason: "expected a string") }
            tokens.append(token)
        }
        let types = file[key("token_type")]?.array?.map { $0.int ?? 1 } ?? []
        if model == "llama" {
            self = try Self.sentencePiece(file, tokens: tokens, types: types)
            return
        }
        // A token written outside the byte alphabet is respelled in it (transformers does too).
        var vocabulary: [ByteString: Int] = [:]
        vocabulary.reserveCapacity(tokens.count)
        var inAlphabet: [Bool] = []
        for (id, token) in tokens.enumerated() {
            let spelled = token.unicodeScalars.allSatisfy { ByteLevelAlphabet.byte($0.value) != nil }
            inAlphabet.append(spelled)
            let key = spelled ? ByteString(token) : ByteString(UTF8Coding.encode(Array(token.utf8).map(ByteLevelAlphabet.scalar)))
            vocabulary[key] = id
        }
        guard let mergeValues = file[key("merges")]?.array else { throw .malformed(path: key("merges"), reason: "missing") }
        var merges: [(ByteString, ByteString)] = []
        merges.reserveCapacity(mergeValues.count)
        for (n, value) in mergeValues.enumerated() {
            let parts = value.string?.utf8.split(separator: 32, omittingEmptySubsequences: false) ?? []
            guard parts.count == 2 else { throw .malformed(path: "\(key("merges"))[\(n)]", reason: "expected \"left right\"") }
            merges.append((ByteString(Array(parts[0])), ByteString(Array(parts[1]))))
        }
        let bpe = try BPE(vocabulary: vocabulary, merges: merges, path: key("merges"))
        var added: [AddedToken] = []
        var seen = Set<Int>()
        func add(_ id: Int, special: Bool) {
            guard id >= 0, id < tokens.count, !seen.contains(id) else { return }
            seen.insert(id)
            added.append(AddedToken(id: id, content: tokens[id], special: special))
        }
        // bos, eos, unk and pad become special tokens, then every CONTROL token (type 3) that is
        // spelled in the byte alphabet, then USER_DEFINED ones (type 4) as plain added tokens.
        for name in ["bos_token_id", "eos_token_id", "unknown_token_id", "padding_token_id"] {
            if let id = file[key(name)]?.int { add(id, special: true) }
        }
        for (id, type) in types.enumerated() where type == 3 && id < tokens.count && inAlphabet[id] { add(id, special: true) }
        for (id, type) in types.enumerated() where type == 4 { add(id, special: false) }
        var single: [TemplateProcessing.Piece] = []
        if file[key("add_bos_token")]?.bool == true, let bos = file[key("bos_token_id")]?.int {
            single.append(.special(ids: [bos], typeID: 0))
        }
        single.append(.sequence(second: false, typeID: 0))
        if file[key("add_eos_token")]?.bool == true, let eos = file[key("eos_token_id")]?.int {
            single.append(.special(ids: [eos], typeID: 0))
        }
        let pair = single + single.map { piece -> TemplateProcessing.Piece in
            switch piece {
            case .special(let ids, _): return .special(ids: ids, typeID: 1)
            case .sequence: return .sequence(second: true, typeID: 1)
            }
        }
        let preTokenizer: any PreTokenizer = split.map {
            SequencePreTokenizer(stages: [SplitPreTokenizer.scanner($0), ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false)])
        } ?? ByteLevelPreTokenizer(addPrefixSpace: false)
        self.init(preTokenizer: preTokenizer, model: bpe,
                  postProcessor: TemplateProcessing(single: single, pair: pair), decoder: ByteLevelDecoder(),
                  addedTokens: added)
    }

    /// `tokenizer.ggml.pre` values for which transformers splits with Llama 3's pattern.
    static let ggufLlama3PreTokenizers: Set<String> = [
        "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano",
        "dbrx", "smaug-bpe",
    ]

    /// `tokenizer.ggml.pre` values for which transformers splits with Qwen2's pattern.
    static let ggufQwen2PreTokenizers: Set<String> = ["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez"]

    /// `tokenizer.ggml.pre` values for which transformers splits with another pattern (Tekken,
    /// Qwen3.5, GPT-4o): not implemented yet, they throw `unsupported`.
    static let ggufOtherSplitPreTokenizers: Set<String> = [
        "tekken", "qwen35", "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2",
    ]
}
