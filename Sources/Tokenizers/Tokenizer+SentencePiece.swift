import GGUF

extension Tokenizer {
    /// A SentencePiece BPE vocabulary from GGUF (`tokenizer.ggml.model` = `llama`), as
    /// transformers builds it (`LlamaTokenizer`): Metaspace (`first`, no split), BPE with byte
    /// fallback and fused unknowns, merges from the file or else from the scores, `<s>` in front
    /// unless `add_bos_token` is false.
    static func sentencePiece(_ file: GGUFFile, tokens: [String], types: [Int]) throws(TokenizerError) -> Tokenizer {
        func key(_ name: String) -> String { "tokenizer.ggml.\(name)" }
        var vocabulary: [ByteString: Int] = [:]
        for (id, token) in tokens.enumerated() { vocabulary[ByteString(token)] = id }
        var merges: [(ByteString, ByteString)] = []
        if let values = file[key("merges")]?.array {
            for (n, value) in values.enumerated() {
                let parts = value.string?.utf8.split(separator: 32, omittingEmptySubsequences: false) ?? []
                guard parts.count == 2 else { throw .malformed(path: "\(key("merges"))[\(n)]", reason: "expected \"left right\"") }
                merges.append((ByteString(Array(parts[0])), ByteString(Array(parts[1]))))
            }
        } else {
            guard let scores = file[key("scores")]?.array?.map({ $0.double ?? 0 }), scores.count == tokens.count else {
                throw .malformed(path: key("scores"), reason: "needed, one per token, when the file has no merges")
            }
            merges = mergesFromScores(tokens: tokens, scores: scores, vocabulary: vocabulary)
        }
        let bpe = try BPE(vocabulary: vocabulary, merges: merges, fuseUnknown: true, byteFallback: true, path: key("merges"))
        var added: [AddedToken] = []
        var seen = Set<Int>()
        func add(_ id: Int, special: Bool) {
            guard id >= 0, id < tokens.count, seen.insert(id).inserted else { return }
            added.append(AddedToken(id: id, content: tokens[id], special: special))
        }
        for name in ["bos_token_id", "eos_token_id", "unknown_token_id", "padding_token_id"] {
            if let id = file[key(name)]?.int { add(id, special: true) }
        }
        for (id, type) in types.enumerated() where type == 3 { add(id, special: true) }
        for (id, type) in types.enumerated() where type == 4 { add(id, special: false) }
        let addBOS = file[key("add_bos_token")]?.bool ?? true
        let addEOS = file[key("add_eos_token")]?.bool ?? false
        var single: [TemplateProcessing.Piece] = []
        var pair: [TemplateProcessing.Piece] = []
        for (second, typeID) in [(false, 0), (true, 1)] {
            var pieces: [TemplateProcessing.Piece] = []
            if addBOS, let bos = file[key("bos_token_id")]?.int { pieces.append(.special(ids: [bos], typeID: typeID)) }
            pieces.append(.sequence(second: second, typeID: typeID))
            if addEOS, let eos = file[key("eos_token_id")]?.int { pieces.append(.special(ids: [eos], typeID: typeID)) }
            if !second { single = pieces }
            pair += pieces
        }
        return Tokenizer(
            preTokenizer: MetaspacePreTokenizer(prependScheme: .first, split: false), model: bpe,
            postProcessor: TemplateProcessing(single: single, pair: pair),
            decoder: SequenceDecoder(stages: [ReplaceDecoder(pattern: "\u{2581}", content: " "), ByteFallbackDecoder(),
                                              FuseDecoder(), StripDecoder(content: " ", start: 1, stop: 0)]),
            addedTokens: added)
    }

    /// Merges implied by a scored vocabulary (transformers' `generate_merges`): every split of
    /// every token into two tokens, best score first, then longer left and right parts.
    static func mergesFromScores(tokens: [String], scores: [Double], vocabulary: [ByteString: Int]) -> [(ByteString, ByteString)] {
        // Python's dict(zip(tokens, scores)): first position, last score.
        var order: [ByteString] = []
        var score: [ByteString: Double] = [:]
        for (token, s) in zip(tokens, scores) {
            let key = ByteString(token)
            if score.updateValue(s, forKey: key) == nil { order.append(key) }
        }
        var merges: [(left: ByteString, right: ByteString, score: Double, leftLength: Int, rightLength: Int)] = []
        for token in order {
            let scalars = Array(token.string.unicodeScalars)
            var local: [(left: ByteString, right: ByteString, score: Double, leftLength: Int, rightLength: Int)] = []
            for cut in 1..<max(1, scalars.count) {
                var left = String.UnicodeScalarView(), right = String.UnicodeScalarView()
                left.append(contentsOf: scalars[..<cut])
                right.append(contentsOf: scalars[cut...])
                let l = ByteString(String(left)), r = ByteString(String(right))
                if vocabulary[l] != nil && vocabulary[r] != nil {
                    local.append((l, r, score[token]!, cut, scalars.count - cut))
                }
            }
            local = stableSorted(local) { (vocabulary[$0.left]!, vocabulary[$0.right]!) < (vocabulary[$1.left]!, vocabulary[$1.right]!) }
            merges += local
        }
        merges = stableSorted(merges) { ($0.score, $0.leftLength, $0.rightLength) > ($1.score, $1.leftLength, $1.rightLength) }
        return merges.map { ($0.left, $0.right) }
    }

    /// A sort that keeps equal elements in order (as Python's `sorted`, also with `reverse`).
    static func stableSorted<T>(_ items: [T], by less: (T, T) -> Bool) -> [T] {
        items.enumerated().sorted { a, b in
            if less(a.element, b.element) { return true }
            if less(b.element, a.element) { return false }
            return a.offset < b.offset
        }.map(\.element)
    }
}
