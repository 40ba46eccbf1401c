/// The third stage of tokenizer.json: turns one pre-tokenized piece into vocabulary ids.
public protocol TokenizerModel: Sendable {
    /// Appends the ids of `piece` (scalars after normalization and pre-tokenization).
    func tokenize(_ piece: [UInt32], into ids: inout [Int])
    /// The id of a whole token, by its UTF-8 bytes.
    func id(of token: ByteString) -> Int?
    /// The token of an id, as stored in the vocabulary.
    func token(of id: Int) -> String?
    var vocabularySize: Int { get }
}

/// The model types of tokenizer.json's `"model"`, by their `"type"`.
public enum ModelKind: String, Sendable {
    case wordPiece = "WordPiece", bpe = "BPE"
}

enum ModelFactory {
    static func make(_ node: JSONNode) throws(TokenizerError) -> any TokenizerModel {
        // Old files leave out the model type; the presence of merges tells BPE.
        var type = try node.optional("merges") != nil ? "BPE" : "WordPiece"
        if let explicit = try node.optional("type") { type = try explicit.string() }
        guard let kind = ModelKind(rawValue: type) else { throw .unsupported(path: node.child("type"), type: type) }
        switch kind {
        case .wordPiece: return try WordPiece(node)
        case .bpe: return try BPE(node)
        }
    }

    /// `{"token": id, …}` as a vocabulary; ids must be non-negative.
    static func vocabulary(_ node: JSONNode) throws(TokenizerError) -> [ByteString: Int] {
        var ids: [ByteString: Int] = [:]
        let entries = try node.object()
        ids.reserveCapacity(entries.count)
        for (key, value) in entries {
            let id = try value.int()
            guard id >= 0 else { throw .malformed(path: value.path, reason: "negative id \(id)") }
            ids[ByteString(key)] = id
        }
        return ids
    }

    /// How many ids a vocabulary may leave unused below its largest id. Real vocabularies are
    /// dense; the bound keeps a file's one huge id from sizing the token table (found by fuzzing).
    static let maxUnusedIDs = 65_536

    /// The token of each id of `vocabulary` (unused ids hold empty tokens).
    static func tokens(of vocabulary: [ByteString: Int], path: String) throws(TokenizerError) -> [ByteString] {
        let largest = vocabulary.values.max() ?? -1
        guard largest < vocabulary.count + maxUnusedIDs else {
            throw .malformed(path: path, reason: "id \(largest) leaves more than \(maxUnusedIDs) ids unused in a vocabulary of \(vocabulary.count) tokens")
        }
        var tokens = [ByteString](repeating: ByteString([]), count: largest + 1)
        for (key, id) in vocabulary { tokens[id] = key }
        return tokens
    }
}
