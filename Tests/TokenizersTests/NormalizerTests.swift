import Testing
import Tokenizers

@Suite struct NormalizerTests {
    @Test(arguments: [
        ("\u{E9}", "e\u{301}"), ("\u{1E69}", "s\u{323}\u{307}"), ("q\u{307}\u{323}", "q\u{323}\u{307}"),
        ("\u{D55C}", "\u{1112}\u{1161}\u{11AB}"), ("\u{212B}", "A\u{30A}"), ("abc", "abc"),
    ])
    func nfd(input: String, expected: String) {
        #expect(Normalization.nfd(scalars(input)) == scalars(expected))
    }

    @Test(arguments: [
        ("e\u{301}", "\u{E9}"), ("\u{1112}\u{1161}\u{11AB}", "\u{D55C}"), ("\u{212B}", "\u{C5}"),
        ("a\u{323}\u{302}", "\u{1EAD}"), ("\u{0958}", "\u{0915}\u{093C}"),
    ])
    func nfc(input: String, expected: String) {
        #expect(Normalization.nfc(scalars(input)) == scalars(expected))
    }

    @Test func nfkc() {
        #expect(string(Normalization.nfkc(scalars("\u{FB01}nance \u{2460} \u{FF21}\u{00BD}"))) == "finance 1 A1\u{2044}2")
        #expect(string(Normalization.nfkd(scalars("\u{1E9B}\u{323}"))) == "s\u{323}\u{307}")
    }

    @Test func bertNormalizer() {
        let bert = BertNormalizer()
        #expect(string(bert.normalize(scalars("H\u{E9}llo\tW\u{0}orld\u{FFFD}\u{200B}"))) == "hello world")
        #expect(string(bert.normalize(scalars("ab\u{4E2D}c"))) == "ab \u{4E2D} c")
        #expect(string(bert.normalize(scalars("\u{130}STANBUL"))) == "istanbul")
        // Unassigned scalars are kept, as HF does.
        #expect(string(bert.normalize(scalars("a\u{1FADC}"))) == "a\u{1FADC}")
        let cased = BertNormalizer(lowercase: false)
        #expect(string(cased.normalize(scalars("Caf\u{E9}"))) == "Cafe")
    }

    @Test func stages() throws {
        let t = try tokenizer("""
            {"normalizer": {"type": "Sequence", "normalizers": [
                {"type": "NFD"}, {"type": "StripAccents"}, {"type": "Lowercase"},
                {"type": "Replace", "pattern": {"String": " "}, "content": "_"},
                {"type": "Prepend", "prepend": ">"}, {"type": "Strip", "strip_left": false, "strip_right": true}]},
             "model": {"type": "WordPiece", "unk_token": "?", "vocab": {"?": 0}}}
            """)
        #expect(string(t.normalizer!.normalize(scalars("\u{C9}t\u{E9} Ok "))) == ">ete_ok_")
        #expect(t.normalizer!.normalize([]).isEmpty)
    }
}
