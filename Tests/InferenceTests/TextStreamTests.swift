import GGUF
import JSON
import Platform
@testable import Inference
import Testing
import TestSupport
import Tokenizers

/// TextStream decodes incrementally; token by token, its pieces must add up to what one decode
/// of all the tokens gives (less an incomplete UTF-8 tail), for byte-level BPE (GPT-2, SmolLM2)
/// and SentencePiece (`▁` spaces) alike, over the tokenizer corpus: CJK, emoji, combining marks.
/// Stop strings cut the text before them wherever the tokens split them.
@Suite("TextStream")
struct TextStreamTests {
    static func corpus() throws -> [String] {
        let lines = try JSONValue(parsing: try #require(Files.read(repositoryRoot + "/Tests/TokenizersTests/Fixtures/corpus.json")))
        return (try #require(lines.array)).compactMap(\.string)
    }

    static func tokenizers() throws -> [(String, Tokenizer)] {
        let gguf = { (path: String) throws -> Tokenizer in
            try Tokenizer(gguf: GGUFFile(bytes: try #require(Files.read(repositoryRoot + "/" + path))))
        }
        return [
            ("gpt2", try Tokenizer(json: try #require(Files.read(repositoryRoot + "/Tests/ServiceTests/Fixtures/tiny-gpt2/tokenizer.json")))),
            ("sentencepiece", try gguf("Tests/TokenizersTests/Fixtures/sentencepiece-bpe.gguf")),
            ("smollm2", try gguf("models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf")),
        ]
    }

    /// Feeds `ids` one at a time; returns the pieces, the result text and the finish.
    static func feed(_ tokenizer: Tokenizer, _ ids: [Int], stop: [String] = []) -> (pieces: [String], text: String, finish: FinishReason?) {
        var stream = TextStream(tokenizer: tokenizer, stopIDs: [], stop: stop, context: [])
        var pieces: [String] = []
        for id in ids {
            let (piece, finish) = stream.accept(Int32(id))
            if let piece { pieces.append(piece) }
            if let finish { return (pieces, stream.text, finish) }
        }
        if let rest = stream.flush() { pieces.append(rest) }
        return (pieces, stream.text, nil)
    }

    @Test("pieces add up to the whole decode")
    func incrementalMatchesWhole() throws {
        let lines = try Self.corpus()
        for (name, tokenizer) in try Self.tokenizers() {
            var checked = 0
            for line in lines.prefix(400) + lines.suffix(300) {
                let ids = tokenizer.encodeIDs(line, addSpecialTokens: false)
                var whole = tokenizer.decode(ids, skipSpecialTokens: true)
                while whole.hasSuffix("\u{FFFD}") { whole.removeLast() }
                let (pieces, text, finish) = Self.feed(tokenizer, ids)
                #expect(finish == nil)
                #expect(text == whole, "\(name): \(line.debugDescription)")
                #expect(pieces.joined() == whole, "\(name): \(line.debugDescription)")
                checked += ids.isEmpty ? 0 : 1
            }
            #expect(checked > 500, "\(name)")
        }
    }

    @Test("a stop string ends the text before it, and no piece sent holds any of it")
    func stopStrings() throws {
        for (name, tokenizer) in try Self.tokenizers() {
            let line = "The café in 東京 serves 🤖 tea. Stop here, said the naïve robot."
            let ids = tokenizer.encodeIDs(line, addSpecialTokens: false)
            let whole = tokenizer.decode(ids, skipSpecialTokens: true)
            for stop in ["Stop here", "東京", "🤖 t", "ve r"] {
                let (pieces, text, finish) = Self.feed(tokenizer, ids, stop: [stop, "never appears"])
                let cut = try #require(whole.firstRange(of: stop), "\(name): \(whole.debugDescription)")
                let expected = String(whole[..<cut.lowerBound])
                #expect(finish == .stopSequence, "\(name) \(stop)")
                #expect(text == expected, "\(name) \(stop): \(text.debugDescription)")
                #expect(pieces.joined() == expected, "\(name) \(stop)")
            }
        }
    }

    /// Stop strings of one grapheme, or ending in one, whose scalars arrive in separate tokens.
    @Test("a stop string split inside a grapheme over tokens still stops")
    func stopSplitInsideAGrapheme() throws {
        let tokenizer = try Tokenizer(json: try #require(Files.read(repositoryRoot + "/Tests/ServiceTests/Fixtures/tiny-gpt2/tokenizer.json")))
        for (parts, stop, expected) in [(["abc\r", "\nmore"], "\r\n", "abc"), (["Hi 👋", "🏽 there"], "👋🏽", "Hi "), (["Hi 👋", "🏽 there"], "Hi 👋🏽", "")] {
            let ids = parts.flatMap { tokenizer.encodeIDs($0, addSpecialTokens: false) }
            let (pieces, text, finish) = Self.feed(tokenizer, ids, stop: [stop])
            #expect(finish == .stopSequence, "\(stop.debugDescription)")
            #expect(text == expected && pieces.joined() == expected, "\(stop.debugDescription): \(pieces)")
        }
    }
}
