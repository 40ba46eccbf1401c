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
