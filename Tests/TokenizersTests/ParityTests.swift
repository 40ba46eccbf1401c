import GGUF
import JSON
import Testing
import Tokenizers

/// Ids and decodes identical to Hugging Face on every line of the committed corpus
/// (fixtures from scripts/fixtures/tokenizers.py).
@Suite struct ParityTests {
    struct Fixture {
        var lines: [String]
        var ids: [String]
        var special: [String]
        var decoded: [String]
    }

    static func fixture(_ name: String) throws -> Fixture {
        let corpus = try TestFiles.json("Tests/TokenizersTests/Fixtures/corpus.json").array!.map { $0.string! }
        let doc = try TestFiles.json("Tests/TokenizersTests/Fixtures/\(name).json")
        func strings(_ key: String) -> [String] { doc[key]!.array!.map { $0.string! } }
        return Fixture(lines: corpus, ids: strings("ids"), special: strings("special"), decoded: strings("decoded"))
    }

    static func text(_ ids: [Int]) -> String { ids.map(String.init).joined(separator: " ") }

    /// Lines where HF's own Unicode tables (the `unicode_categories` crate, Unicode 8) differ
    /// from the generated Unicode 14 tables; see Fixtures/README.md. Each must still differ, so
    /// the list cannot go stale.
    static let bertUnicode8Lines: [Int: String] = [
        2536: "U+11C31 BHAIKSUKI VOWEL SIGN I is Mn since Unicode 9; HF does not strip it",
    ]

    /// Compares every line; reports the count and the first few differences.
    static func check(_ tokenizer: Tokenizer, _ name: String, known: [Int: String] = [:]) throws {
        let f = try fixture(name)
        try #require(f.lines.count >= 2000 && f.ids.count == f.lines.count && f.special.count == f.lines.count)
        var failures: [String] = []
        var same = (ids: 0, special: 0, decoded: 0)
        for (n, line) in f.lines.enumerated() {
            if let reason = known[n] {
                #expect(text(tokenizer.encodeIDs(line, addSpecialTokens: false)) != f.ids[n], "line \(n) now matches: \(reason)")
                continue
            }
            let plain = text(tokenizer.encodeIDs(line, addSpecialTokens: false))
            let specialIDs = tokenizer.encodeIDs(line, addSpecialTokens: true)
            let decoded = tokenizer.decode(specialIDs, skipSpecialTokens: true)
            if plain == f.ids[n] { same.ids += 1 } else if failures.count < 5 {
                failures.append("line \(n) \(line.debugDescription): ids\n  got  \(plain)\n  want \(f.ids[n])")
            }
            if text(specialIDs) == f.special[n] { same.special += 1 } else if failures.count < 5 {
                failures.append("line \(n) \(line.debugDescription): special ids\n  got  \(text(specialIDs))\n  want \(f.special[n])")
            }
            if decoded.utf8.elementsEqual(f.decoded[n].utf8) { same.decoded += 1 } else if failures.count < 5 {
                failures.append("line \(n) \(line.debugDescription): decode\n  got  \(decoded.debugDescription)\n  want \(f.decoded[n].debugDescription)")
            }
        }
        let total = f.lines.count
        let summary = "\(name): ids \(same.ids)/\(total), special \(same.special)/\(total), decoded \(same.decoded)/\(total)"
            + (known.isEmpty ? "" : " (plus \(known.count) documented Unicode-version line)")
        print(summary)
        #expect(failures.isEmpty, "\(summary)\n\(failures.joined(separator: "\n"))")
    }

    @Test func miniLMTokenizerJSON() throws {
        let tokenizer = try Tokenizer(json: try TestFiles.read("models/all-MiniLM-L6-v2/tokenizer.json"))
        try Self.check(tokenizer, "minilm", known: Self.bertUnicode8Lines)
    }

    @Test func miniLMVocabText() throws {
        let options = try Tokenizer.bertOptions(config: try TestFiles.read("models/all-MiniLM-L6-v2/tokenizer_config.json"))
        let tokenizer = try Tokenizer(bertVocab: try TestFiles.read("models/all-MiniLM-L6-v2/vocab.txt"),
                                      lowercase: options.lowercase, stripAccents: options.stripAccents)
        try Self.check(tokenizer, "minilm-vocab", known: Self.bertUnicode8Lines)
    }

    @Test func gpt2VocabAndMerges() throws {
        let tokenizer = try Tokenizer(gpt2Vocab: try TestFiles.read("models/gpt2-tokenizer/vocab.json"),
                                      merges: try TestFiles.read("models/gpt2-tokenizer/merges.txt"))
        try Self.check(tokenizer, "gpt2")
    }

    @Test func smolLM2GGUF() throws {
        let file = try GGUFFile(bytes: try TestFiles.read("models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf"))
        try Self.check(try Tokenizer(gguf: file), "smollm2")
    }
}
