/// BERT's WordPiece: greedy longest match from the left, later pieces prefixed with `##`;
/// a word longer than `maxInputCharsPerWord` scalars, or with any unmatched rest, is `[UNK]`.
public struct WordPiece: TokenizerModel {
    public let vocabulary: [ByteString: Int]
    let tokens: [ByteString]
    public let unknownID: Int
    public let prefix: [UInt8]
    public let maxInputCharsPerWord: Int

    public init(vocabulary: [ByteString: Int], unknownToken: String = "[UNK]", prefix: String = "##",
                maxInputCharsPerWord: Int = 100) throws(TokenizerError) {
        self.vocabulary = vocabulary
        tokens = try ModelFactory.tokens(of: vocabulary, path: "model.vocab")
        guard let unknown = vocabulary[ByteString(unknownToken)] else {
            throw .malformed(path: "model.unk_token", reason: "\"\(unknownToken)\" is not in the vocabulary")
        }
        unknownID = unknown
        self.prefix = Array(prefix.utf8)
        self.maxInputCharsPerWord = maxInputCharsPerWord
    }

    init(_ node: JSONNode) throws(TokenizerError) {
        let vocabulary = try ModelFactory.vocabulary(try node.required("vocab"))
        try self.init(vocabulary: vocabulary, unknownToken: try node.string("unk_token", default: "[UNK]"),
                      prefix: try node.string("continuing_subword_prefix", default: "##"),
                      maxInputCharsPerWord: try node.int("max_input_chars_per_word", default: 100))
    }

    /// Reads BERT's `vocab.txt`: one token a line, the id is the line number.
    public init(vocabText: [UInt8], unknownToken: String = "[UNK]") throws(TokenizerError) {
        var vocabulary: [ByteString: Int] = [:]
        var id = 0
        var lines = vocabText.split(separator: 10, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        for var line in lines {
            // Like tokenizers' WordPiece::read_file: trailing whitespace is not part of the token.
            while let last = line.last, last == 32 || last == 9 || last == 13 { line = line.dropLast() }
            vocabulary[ByteString(line)] = id
            id += 1
        }
        try self.init(vocabulary: vocabulary, unknownToken: unknownToken)
    }

    public var vocabularySize: Int { tokens.count }
    public func id(of token: ByteString) -> Int? { vocabulary[token] }
    public func token(of id: Int) -> String? { id >= 0 && id < tokens.count ? tokens[id].string : nil }

    public func tokenize(_ piece: [UInt32], into ids: inout [Int]) {
        var none: [Range<Int>]? = nil
        tokenize(piece, into: &ids, ranges: &none)
    }

    /// With `ranges` non-nil, also appends the scalars each id covers.
    func tokenize(_ piece: [UInt32], into ids: inout [Int], ranges: inout [Range<Int>]?) {
        if piece.count > maxInputCharsPerWord {
            ids.append(unknownID)
            ranges?.append(0..<piece.count)
            return
        }
        // UTF-8 of the piece and the byte offset of each scalar boundary.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(piece.count)
        var offsets: [Int] = [0]
        for c in piece {
            UTF8Coding.append(c, to: &bytes)
            offsets.append(bytes.count)
        }
        let mark = ids.count
        let rangeMark = ranges?.count ?? 0
        var key = ByteString([])
        var start = 0
        while start < piece.count {
            var end = piece.count
            var found: Int? = nil
            while end > start {
                key.bytes.removeAll(keepingCapacity: true)
                if start > 0 { key.bytes.append(contentsOf: prefix) }
                key.bytes.append(contentsOf: bytes[offsets[start]..<offsets[end]])
                if let id = vocabulary[key] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                ids.removeSubrange(mark...)
                ids.append(unknownID)
                if ranges != nil {
                    ranges!.removeSubrange(rangeMark...)
                    ranges!.append(0..<piece.count)
                }
                return
            }
            ids.append(id)
            ranges?.append(start..<end)
            start = end
        }
    }
}
