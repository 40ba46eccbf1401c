import Testing
import Tokenizers

/// Offsets through normalizers that do not map scalar by scalar, and byte offsets.
@Suite struct OffsetTests {
    static func offsets(_ t: Tokenizer, _ text: String) -> [Range<Int>] { t.encodeWithOffsets(text, addSpecialTokens: false).offsets }

    @Test func composedAndPrepended() throws {
        let t = try tokenizer("""
            {"normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Prepend", "prepend": "_"},
                {"type": "Replace", "pattern": {"String": "ab"}, "content": "X"}]},
             "pre_tokenizer": {"type": "WhitespaceSplit"},
             "model": {"type": "WordPiece", "unk_token": "?", "vocab": {"?": 0, "_e\\u00E9": 1, "X": 2, "Xc": 3}}}
            """)
        // "e" + "e\u{301}" composes to "e\u{E9}", prefixed with "_": one token over all three input scalars.
        #expect(t.encodeIDs("ee\u{301}", addSpecialTokens: false) == [1])
        #expect(Self.offsets(t, "ee\u{301}") == [0..<3])
        // "ab" becomes "X", whose source is the "a"; the prefix comes from the first scalar.
        #expect(t.encodeIDs("ee\u{301} abc", addSpecialTokens: false) == [1, 3])
        #expect(Self.offsets(t, "ee\u{301} abc") == [0..<3, 4..<7])
    }

    @Test func byteLevelAndBytes() throws {
        let t = try tokenizer("""
            {"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false},
             "model": {"type": "BPE", "vocab": {"a": 0, "\\u0120": 1, "\\u00C3": 2, "\\u00A9": 3, "\\u00C3\\u00A9": 4, "\\u0120\\u00C3": 5}, "merges": ["\\u0120 \\u00C3"]}}
            """)
        // " é" is three bytes: "Ġ", "Ã" merge into one token, "©" is the rest of é.
        #expect(t.encodeIDs("a \u{E9}", addSpecialTokens: false) == [0, 5, 3])
        let scalars = Self.offsets(t, "a \u{E9}")
        #expect(scalars == [0..<1, 1..<3, 2..<3])
        #expect(Tokenizer.byteOffsets(scalars, in: "a \u{E9}") == [0..<1, 1..<4, 2..<4])
    }

    @Test func specialAndAddedTokens() throws {
        let t = try tokenizer(PipelineTests.bert)
        let e = t.encodeWithOffsets("hi[SEP]there")
        #expect(e.ids == [0, 4, 1, 6, 1])
        #expect(e.offsets == [0..<0, 0..<2, 2..<7, 7..<12, 0..<0])
    }
}

/// Found by fuzz/run tokenize: a CJK compatibility ideograph (U+FA1B) next to only ASCII was not
/// decomposed by BERT's normalizer (its ASCII shortcut skipped NFD), so `encode` and
/// `encodeWithOffsets` disagreed. Expected ids and offsets from HF tokenizers.
@Suite struct OffsetsFuzzRegressionTests {
    @Test(arguments: [
        ("\u{FA1B}", [101, 1926, 102], [0..<0, 0..<1, 0..<0]),
        ("a\u{FA1B}", [101, 1037, 1926, 102], [0..<0, 0..<1, 1..<2, 0..<0]),
        ("\u{4D0}lH\u{FFFD}e\u{FFFD}\u{FA1B}\u{FFFD}:", [101, 1180, 2140, 5369, 1926, 1024, 102],
         [0..<0, 0..<1, 1..<2, 2..<5, 6..<7, 8..<9, 0..<0]),
    ])
    func miniLMMatchesTokenizers(text: String, ids: [Int], offsets: [Range<Int>]) throws {
        let minilm = try Tokenizer(json: TestFiles.read("\(TestFiles.modelsDirectory)/all-MiniLM-L6-v2/tokenizer.json"))
        #expect(Array(minilm.encode(text).ids.prefix(ids.count)) == ids)
        let aligned = minilm.encodeWithOffsets(text)
        #expect(Array(aligned.ids.prefix(ids.count)) == ids)
        #expect(Array(aligned.offsets.prefix(ids.count)) == offsets)
    }
}
