import Testing
import Tokenizers

/// Truncation, padding, pairs and batches on a tiny BERT-like tokenizer: "a".."j" are ids 10...19.
@Suite struct EncodingTests {
    static func letters() throws -> Tokenizer {
        let vocab = (0..<10).map { "\"\(String(UnicodeScalar(UInt8(97 + $0))))\": \(10 + $0)" }.joined(separator: ", ")
        return try tokenizer("""
            {"pre_tokenizer": {"type": "WhitespaceSplit"},
             "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 1]},
             "model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[PAD]": 0, "[CLS]": 1, "[SEP]": 2, "[UNK]": 3, \(vocab)}}}
            """)
    }

    @Test func truncationSingleWithStride() throws {
        var t = try Self.letters()
        t.truncation = Truncation(maxLength: 5, stride: 1)
        let e = t.encode("a b c d e f g")
        #expect(e.ids == [1, 10, 11, 12, 2])
        #expect(e.overflowing.map(\.ids) == [[1, 12, 13, 14, 2], [1, 14, 15, 16, 2]])
        t.truncation = Truncation(maxLength: 5, direction: .left)
        #expect(t.encodeIDs("a b c d e f g") == [1, 14, 15, 16, 2])
        #expect(t.encodeIDs("a b c d e f g", addSpecialTokens: false) == [12, 13, 14, 15, 16])
    }

    @Test(arguments: [
        (Truncation.Strategy.longestFirst, [1, 10, 11, 12, 2, 15, 16, 2]),
        (.onlyFirst, [1, 10, 2, 15, 16, 17, 18, 2]),
        (.onlySecond, [1, 10, 11, 12, 13, 14, 2, 15, 2]),
    ])
    func truncationPairs(strategy: Truncation.Strategy, expected: [Int]) throws {
        var t = try Self.letters()
        t.truncation = Truncation(maxLength: expected.count, strategy: strategy)
        let e = t.encode("a b c d e", pair: "f g h i")
        #expect(e.ids == expected)
        #expect(e.typeIDs.count == expected.count)
    }

    @Test func longestFirstCutsTheLongerOne() throws {
        var t = try Self.letters()
        t.truncation = Truncation(maxLength: 8)
        #expect(t.encode("a", pair: "b c d e f g h i j").ids == [1, 10, 2, 11, 12, 13, 14, 2])
    }

    @Test func paddingAndBatches() throws {
        var t = try Self.letters()
        t.padding = Padding(length: .longest)
        let batch = t.encodeBatch(["a b c", "d"])
        #expect(batch.map(\.ids) == [[1, 10, 11, 12, 2], [1, 13, 2, 0, 0]])
        #expect(batch[1].attentionMask == [1, 1, 1, 0, 0])
        #expect(batch[1].specialTokensMask == [1, 0, 1, 1, 1])
        t.padding = Padding(length: .fixed(6), left: true, padID: 3, padTypeID: 1)
        let e = t.encode("a", pair: "b")
        #expect(e.ids == [3, 1, 10, 2, 11, 2])
        #expect(e.typeIDs == [1, 0, 0, 0, 1, 1])
        t.padding = Padding(length: .longest, padToMultipleOf: 4)
        #expect(t.encodeBatch(["a b", "c"]).map(\.count) == [4, 4])
        #expect(t.encodeBatch(["a", "b"], pairs: ["c", "d e"]).map(\.typeIDs) == [[0, 0, 0, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1, 0, 0]])
    }

    @Test func miniLMFileSettings() throws {
        let t = try Tokenizer(json: try TestFiles.read("models/all-MiniLM-L6-v2/tokenizer.json"))
        #expect(t.truncation == Truncation(maxLength: 128))
        #expect(t.padding == Padding(length: .fixed(128), padID: 0))
        let e = t.encode("hello world")
        #expect(e.count == 128 && e.ids.prefix(4) == [101, 7592, 2088, 102] && e.attentionMask.reduce(0, +) == 4)
    }
}
