import JSON

extension Tokenizer {
    /// GPT-2 from the legacy `vocab.json` and `merges.txt`, as transformers builds it
    /// (`GPT2TokenizerFast`): byte-level BPE with `<|endoftext|>` as its special token.
    public init(gpt2Vocab vocabBytes: [UInt8], merges mergesBytes: [UInt8]) throws(TokenizerError) {
        let value: JSONValue
        do { value = try JSONValue(parsing: vocabBytes) } catch { throw .malformed(path: "vocab.json", reason: error.description) }
        let vocabulary = try ModelFactory.vocabulary(JSONNode(value, path: "vocab.json"))
        var merges: [(ByteString, ByteString)] = []
        for var line in mergesBytes.split(separator: 10, omittingEmptySubsequences: true) {
            if line.last == 13 { line = line.dropLast() }
            if line.starts(with: Array("#version".utf8)) || line.isEmpty { continue }
            let parts = line.split(separator: 32, omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw .malformed(path: "merges.txt:\(merges.count + 1)", reason: "expected \"left right\"")
            }
            merges.append((ByteString(parts[0]), ByteString(parts[1])))
        }
        let model = try BPE(vocabulary: vocabulary, merges: merges, path: "merges.txt")
        var added: [AddedToken] = []
        if let id = vocabulary[ByteString("<|endoftext|>")] {
            added.append(AddedToken(id: id, content: "<|endoftext|>", special: true))
        }
        self.init(preTokenizer: ByteLevelPreTokenizer(addPrefixSpace: false), model: model,
                  postProcessor: PassThroughProcessing(), decoder: ByteLevelDecoder(), addedTokens: added)
    }
}
