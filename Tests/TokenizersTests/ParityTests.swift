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
        var pairs: [String]
        var truncated: [Int: String]
        var offsets: [Int: String]
        /// The truncation the pairs and "truncated" lines were encoded with.
        var truncation: Truncation?
    }

    static func fixture(_ name: String) throws -> Fixture {
        let corpus = try TestFiles.json("Tests/TokenizersTests/Fixtures/corpus.json").array!.map { $0.string! }
        var doc = try TestFiles.json("Tests/TokenizersTests/Fixtures/\(name).json")
        // The script records {"same_as": OTHER} when HF gave identical results for both.
        if let other = doc["same_as"]?.string { doc = try TestFiles.json("Tests/TokenizersTests/Fixtures/\(other).json") }
        func strings(_ key: String) -> [String] { doc[key]!.array!.map { $0.string! } }
        var truncated: [Int: String] = [:]
        for (key, value) in doc["truncated"]?.object ?? [:] { truncated[Int(key)!] = value.string! }
        var offsets: [Int: String] = [:]
        for (key, value) in doc["offsets"]?.object ?? [:] { offsets[Int(key)!] = value.string! }
        return Fixture(lines: corpus, ids: strings("ids"), special: strings("special"), decoded: strings("decoded"),
                       pairs: strings("pairs"), truncated: truncated, offsets: offsets,
                       truncation: try doc["truncation"].map { value in
                           try #require(value["strategy"] == "longest_first" && value["direction"] == "right")
                           return Truncation(maxLength: value["max_length"]!.int!, stride: value["stride"]!.int!)
                       })
    }

    static func text(_ ids: [Int]) -> String { ids.map(String.init).joined(separator: " ") }

    /// Compares every line; reports the count and the first few differences.
    static func check(_ loaded: Tokenizer, _ name: String) throws {
        let f = try fixture(name)
        var tokenizer = loaded
        tokenizer.truncation = nil  // the fixtures hold the pipeline's own ids (see Fixtures/README.md)
        tokenizer.padding = nil
        try #require(f.lines.count >= 2000 && f.ids.count == f.lines.count && f.special.count == f.lines.count)
        var failures: [String] = []
        var same = (ids: 0, special: 0, decoded: 0)
        for (n, line) in f.lines.enumerated() {
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
        // Pairs (line i, line i+1), under the file's truncation when it has one (MiniLM: 128).
        var pairTokenizer = tokenizer
        pairTokenizer.truncation = f.truncation
        var samePairs = 0
        for (n, want) in f.pairs.enumerated() {
            let e = pairTokenizer.encode(f.lines[n], pair: f.lines[n + 1])
            let got = text(e.ids) + "|" + text(e.typeIDs)
            if got == want { samePairs += 1 } else if failures.count < 8 {
                failures.append("pair \(n): got \(got)\n  want \(want)")
            }
        }
        for (n, want) in f.truncated.sorted(by: { $0.key < $1.key }) {
            let got = text(pairTokenizer.encodeIDs(f.lines[n]))
            if got != want && failures.count < 8 { failures.append("truncated line \(n): got \(got)\n  want \(want)") }
        }
        #expect(samePairs == f.pairs.count)
        // Offsets (characters = Unicode scalars) with special tokens, on the lines the fixture holds.
        var sameOffsets = 0
        for (n, want) in f.offsets.sorted(by: { $0.key < $1.key }) {
            let e = tokenizer.encodeWithOffsets(f.lines[n])
            let got = e.offsets.map { "\($0.lowerBound):\($0.upperBound)" }.joined(separator: " ")
            if got == want && e.ids == tokenizer.encodeIDs(f.lines[n]) { sameOffsets += 1 } else if failures.count < 8 {
                failures.append("offsets of line \(n) \(f.lines[n].debugDescription):\n  got  \(got)\n  want \(want)")
            }
        }
        #expect(sameOffsets == f.offsets.count)
        let total = f.lines.count
        let summary = "\(name): offsets \(sameOffsets)/\(f.offsets.count), pairs \(samePairs)/\(f.pairs.count), truncated \(f.truncated.count), ids \(same.ids)/\(total), special \(same.special)/\(total), decoded \(same.decoded)/\(total)"
        print(summary)
        #expect(failures.isEmpty, "\(summary)\n\(failures.joined(separator: "\n"))")
    }

    @Test func miniLMTokenizerJSON() throws {
        let tokenizer = try Tokenizer(json: try TestFiles.read("models/all-MiniLM-L6-v2/tokenizer.json"))
        try Self.check(tokenizer, "minilm")
    }

    @Test func miniLMVocabText() throws {
        let options = try Tokenizer.bertOptions(config: try TestFiles.read("models/all-MiniLM-L6-v2/tokenizer_config.json"))
        let tokenizer = try Tokenizer(bertVocab: try TestFiles.read("models/all-MiniLM-L6-v2/vocab.txt"),
                                      lowercase: options.lowercase, stripAccents: options.stripAccents)
        try Self.check(tokenizer, "minilm-vocab")
    }

    @Test func gpt2VocabAndMerges() throws {
        let tokenizer = try Tokenizer(gpt2Vocab: try TestFiles.read("models/gpt2-tokenizer/vocab.json"),
                                      merges: try TestFiles.read("models/gpt2-tokenizer/merges.txt"))
        try Self.check(tokenizer, "gpt2")
    }

    /// A SentencePiece BPE vocabulary trained on the corpus by the fixture script, as a GGUF.
    @Test func sentencePieceGGUF() throws {
        let file = try GGUFFile(bytes: try TestFiles.read("Tests/TokenizersTests/Fixtures/sentencepiece-bpe.gguf"))
        try Self.check(try Tokenizer(gguf: file), "sentencepiece")
    }

    @Test func smolLM2GGUF() throws {
        let file = try GGUFFile(bytes: try TestFiles.read("models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf"))
        try Self.check(try Tokenizer(gguf: file), "smollm2")
    }
}

/// Llama 3's and Qwen2's split patterns against HF's `Split(Regex(…), "isolated")` on every
/// corpus line. HF's regex engine knows letters of Unicode 15 and 16 that the generated Unicode
/// 14 tables call unassigned (Cn); a line may differ only if it holds such a scalar (see
/// Fixtures/README.md).
@Suite struct SplitParityTests {
    @Test(arguments: [("llama3", 3), ("qwen2", 1)])
    func pattern(name: String, maxDigits: Int) throws {
        let corpus = try TestFiles.json("Tests/TokenizersTests/Fixtures/corpus.json").array!.map { $0.string! }
        let doc = try #require(try TestFiles.json("Tests/TokenizersTests/Fixtures/split-patterns.json")[name])
        #expect(doc["pattern"]?.string == (maxDigits == 3 ? Llama3Scanner.pattern : Llama3Scanner.qwen2Pattern))
        let lengths = doc["lengths"]!.array!.map { $0.string! }
        try #require(lengths.count == corpus.count)
        var failures: [String] = []
        var same = 0, newerUnicode = 0
        for (n, line) in corpus.enumerated() {
            let scalars = line.unicodeScalars.map(\.value)
            let got = Llama3Scanner.matches(scalars[...], maxDigits: maxDigits).map { String($0.count) }.joined(separator: " ")
            if got == lengths[n] {
                same += 1
            } else if scalars.contains(where: { UnicodeProperties.category($0) == .Cn }) {
                newerUnicode += 1
            } else if failures.count < 5 {
                failures.append("line \(n) \(line.debugDescription)\n  got  \(got)\n  want \(lengths[n])")
            }
        }
        print("\(name) split: \(same)/\(corpus.count) lines identical, \(newerUnicode) differ on scalars unassigned in Unicode \(UnicodeProperties.version)")
        #expect(newerUnicode <= 14)  // all among the 60 random-scalar lines of the corpus
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
