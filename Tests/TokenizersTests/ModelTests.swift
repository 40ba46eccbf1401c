import Testing
import Tokenizers

@Suite struct ModelTests {
    @Test func wordPiece() throws {
        let vocab: [ByteString: Int] = [ByteString("[UNK]"): 0, ByteString("un"): 1, ByteString("##aff"): 2,
                                        ByteString("##able"): 3, ByteString("a"): 4]
        let model = try WordPiece(vocabulary: vocab, maxInputCharsPerWord: 10)
        var ids: [Int] = []
        model.tokenize(scalars("unaffable"), into: &ids)
        #expect(ids == [1, 2, 3])
        ids = []
        model.tokenize(scalars("unaffablex"), into: &ids)  // a rest that matches nothing: all [UNK]
        #expect(ids == [0])
        ids = []
        model.tokenize(scalars("aaaaaaaaaaa"), into: &ids)  // 11 > 10 characters
        #expect(ids == [0])
    }

    @Test func vocabText() throws {
        let model = try WordPiece(vocabText: Array("[UNK]\nhello\n##s\n".utf8))
        #expect(model.vocabularySize == 3)
        var ids: [Int] = []
        model.tokenize(scalars("hellos"), into: &ids)
        #expect(ids == [1, 2])
    }

    @Test(arguments: [#"["a b", "ab c"]"#, #"[["a", "b"], ["ab", "c"]]"#])
    func bpeMergesInEitherForm(merges: String) throws {
        let t = try tokenizer("""
            {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4}, "merges": \(merges)}}
            """)
        #expect(t.encodeIDs("abcab") == [4, 3])
        #expect(t.encodeIDs("cba") == [2, 1, 0])
    }

    @Test func bpeUnknownAndByteFallback() throws {
        let t = try tokenizer("""
            {"model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
              "vocab": {"<unk>": 0, "a": 1, "<0xC3>": 2, "<0xA9>": 3}, "merges": []},
             "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]}}
            """)
        #expect(t.encodeIDs("a\u{E9}a") == [1, 2, 3, 1])
        #expect(t.decode([1, 2, 3, 1]) == "a\u{E9}a")
        #expect(t.decode([2, 1]) == "\u{FFFD}a")
        let u = try tokenizer("""
            {"model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "vocab": {"<unk>": 0, "a": 1}, "merges": []}}
            """)
        #expect(u.encodeIDs("axyza") == [1, 0, 1])
    }

    /// Short words scan for the best merge, long ones use a heap: both merge leftmost first.
    @Test(arguments: [9, 41, 400])
    func bpeLongWords(count: Int) throws {
        let t = try tokenizer("""
            {"model": {"type": "BPE", "vocab": {"a": 0, "aa": 1, "aaaa": 2, "b": 3, "ab": 4}, "merges": ["a a", "aa aa", "a b"]}}
            """)
        let text = String(repeating: "a", count: count)
        #expect(t.encodeIDs(text) == Array(repeating: 2, count: count / 4) + (count % 4 == 1 ? [0] : []))
        let rest = count % 4 == 1
        #expect(t.encodeWithOffsets(text).offsets.last == (rest ? count - 1 : count - 4)..<count)
        // A leftover "a" merges with the "b" after it.
        #expect(t.encodeIDs("b" + text + "b") == [3] + Array(repeating: 2, count: count / 4) + (rest ? [4] : [3]))
    }

    @Test func bpeIgnoreMerges() throws {
        let t = try tokenizer("""
            {"model": {"type": "BPE", "ignore_merges": true, "vocab": {"a": 0, "b": 1, "c": 2, "abc": 3, "ab": 4}, "merges": ["a b"]}}
            """)
        #expect(t.encodeIDs("abc") == [3])
    }
}

@Suite struct PipelineTests {
    static let bert = """
        {"added_tokens": [
            {"id": 0, "content": "[CLS]", "special": true, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false},
            {"id": 1, "content": "[SEP]", "special": true, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false},
            {"id": 2, "content": "<mask>", "special": true, "single_word": false, "lstrip": true, "rstrip": false, "normalized": false},
            {"id": 9, "content": "word", "special": false, "single_word": true, "lstrip": false, "rstrip": false, "normalized": true}],
         "normalizer": {"type": "BertNormalizer", "lowercase": true},
         "pre_tokenizer": {"type": "BertPreTokenizer"},
         "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 1], "cls": ["[CLS]", 0]},
         "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
         "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                   "vocab": {"[CLS]": 0, "[SEP]": 1, "[UNK]": 3, "hi": 4, "!": 5, "there": 6, "##s": 7, "n't": 8, "word": 9, "don": 10, "'": 11, "t": 12}}}
        """

    @Test func pairsAndTypeIDs() throws {
        let t = try tokenizer(Self.bert)
        let e = t.encode("Hi!", pair: "theres")
        #expect(e.ids == [0, 4, 5, 1, 6, 7, 1])
        #expect(e.typeIDs == [0, 0, 0, 0, 1, 1, 1])
        #expect(e.specialTokensMask == [1, 0, 0, 1, 0, 0, 1])
        #expect(t.encode("Hi", addSpecialTokens: false).ids == [4])
    }

    @Test func addedTokens() throws {
        let t = try tokenizer(Self.bert)
        #expect(t.encodeIDs("hi[SEP]there", addSpecialTokens: false) == [4, 1, 6])
        #expect(t.encodeIDs("hi   <mask>", addSpecialTokens: false) == [4, 2])  // lstrip eats the spaces
        #expect(t.encodeIDs("WORD hi", addSpecialTokens: false) == [9, 4])        // normalized: matched after lowercasing
        #expect(t.encodeIDs("words", addSpecialTokens: false) == [9, 7])           // single_word: no match inside a word
    }

    @Test func decodeWordPiece() throws {
        let t = try tokenizer(Self.bert)
        #expect(t.decode([0, 4, 5, 6, 7, 1]) == "hi! theres")
        #expect(t.decode([0, 4, 1], skipSpecialTokens: false) == "[CLS] hi [SEP]")
        #expect(t.decode([10, 8]) == "donn't")         // as HF: clean-up runs per token, " n't" -> "n't"
        #expect(t.decode([10, 11, 12]) == "don ' t")
    }

    @Test func simpleDecoders() {
        #expect(StripDecoder(content: " ", start: 1, stop: 0).decodeChain(["  a ", " b"]) == [" a ", "b"])
        #expect(ReplaceDecoder(pattern: "_", content: " ").decodeChain(["a_b"]) == ["a b"])
        #expect(FuseDecoder().decodeChain(["a", "b"]) == ["ab"])
        #expect(ByteLevelDecoder().decodeChain(["\u{120}h\u{C3}\u{A9}", "<x>"]) == [" h\u{E9}<x>"])
    }

    @Test func template() throws {
        let t = try tokenizer("""
            {"post_processor": {"type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<s>": {"id": "<s>", "ids": [7], "tokens": ["<s>"]}}},
             "model": {"type": "WordPiece", "unk_token": "?", "vocab": {"?": 0, "a": 1}}}
            """)
        #expect(t.encodeIDs("a") == [7, 1])
        #expect(t.encode("a", pair: "a").typeIDs == [0, 1, 1])
    }
}
