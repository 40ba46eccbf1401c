import Testing
import Tokenizers

@Suite struct PreTokenizerTests {
    @Test func bert() {
        #expect(pieces(BertPreTokenizer(), "Hello, world!  a\u{3000}b\u{00BF}c") == ["Hello", ",", "world", "!", "a", "b", "\u{00BF}", "c"])
    }

    @Test func gpt2Split() {
        let split = { (text: String) in GPT2Scanner.matches(scalars(text)[...]).map { string(Array(scalars(text)[$0])) } }
        #expect(split("Hello world's  test\n") == ["Hello", " world", "'s", " ", " test", "\n"])
        #expect(split("I'LL don't 123abc") == ["I", "'", "LL", " don", "'t", " 123", "abc"])
        // STYLE.md pitfall 1: scalars, not graphemes.
        #expect(split(" 1\u{301}2") == [" 1", "\u{301}", "2"])
        #expect(split("a   ") == ["a", "   "])
        #expect(split("   x") == ["  ", " x"])
        #expect(split("\u{4F60}\u{597D}!!") == ["\u{4F60}\u{597D}", "!!"])
    }

    @Test func byteLevel() {
        let p = ByteLevelPreTokenizer(addPrefixSpace: true)
        #expect(pieces(p, "hi \u{E9}") == ["\u{120}hi", "\u{120}\u{C3}\u{A9}"])
        #expect(ByteLevelAlphabet.byte(0x120) == 0x20)
        #expect(ByteLevelAlphabet.scalar(0x0A) == 0x10A)
    }

    @Test func whitespaceAndDigits() throws {
        #expect(pieces(WhitespacePreTokenizer(), "Hey, friend!! x_1") == ["Hey", ",", "friend", "!!", "x_1"])
        let t = try tokenizer("""
            {"pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "WhitespaceSplit"}, {"type": "Digits", "individual_digits": true},
                {"type": "Punctuation", "behavior": "MergedWithPrevious"}]},
             "model": {"type": "WordPiece", "unk_token": "?", "vocab": {"?": 0}}}
            """)
        #expect(pieces(t.preTokenizer!, "ab12 c.d..") == ["ab", "1", "2", "c.", "d.", "."])
    }

    @Test(arguments: [
        ("Removed", ["a", "b"]), ("Isolated", ["a", "-", "-", "b"]), ("MergedWithPrevious", ["a-", "-", "b"]),
        ("MergedWithNext", ["a", "-", "-b"]), ("Contiguous", ["a", "--", "b"]),
    ])
    func splitBehaviors(behavior: String, expected: [String]) throws {
        let t = try tokenizer("""
            {"pre_tokenizer": {"type": "Split", "pattern": {"String": "-"}, "behavior": "\(behavior)", "invert": false},
             "model": {"type": "WordPiece", "unk_token": "?", "vocab": {"?": 0}}}
            """)
        #expect(pieces(t.preTokenizer!, "a--b") == expected)
    }

    @Test func metaspace() throws {
        let t = try tokenizer("""
            {"pre_tokenizer": {"type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "always", "split": true},
             "decoder": {"type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "always"},
             "model": {"type": "WordPiece", "unk_token": "?", "vocab": {"?": 0}}}
            """)
        #expect(pieces(t.preTokenizer!, "hi there") == ["\u{2581}hi", "\u{2581}there"])
        #expect(t.decoder!.decodeChain(["\u{2581}hi", "\u{2581}there"]).joined() == "hi there")
    }
}
