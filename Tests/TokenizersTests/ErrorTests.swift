import Testing
import Tokenizers

/// A malformed or unsupported tokenizer.json is a thrown error naming the JSON path.
@Suite struct ErrorTests {
    static let model = #""model": {"type": "WordPiece", "unk_token": "?", "vocab": {"?": 0}}"#

    @Test(arguments: [
        (#"{"normalizer": {"type": "Precompiled"}, \#(model)}"#, TokenizerError.unsupported(path: "normalizer.type", type: "Precompiled")),
        (#"{"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}, {"type": "Nope"}]}, \#(model)}"#,
         .unsupported(path: "pre_tokenizer.pretokenizers[1].type", type: "Nope")),
        (#"{"decoder": {"type": "CTC"}, \#(model)}"#, .unsupported(path: "decoder.type", type: "CTC")),
        (#"{"post_processor": {"type": "BertProcessing", "sep": ["[SEP]"], "cls": ["[CLS]", 0]}, \#(model)}"#,
         .malformed(path: "post_processor.sep", reason: "expected [token, id]")),
        (#"{"model": {"type": "WordPiece", "unk_token": "?", "vocab": {"?": 0, "a": "one"}}}"#,
         .malformed(path: "model.vocab.a", reason: "expected an integer, found string")),
        (#"{"model": {"type": "Unigram", "vocab": []}}"#, .unsupported(path: "model.type", type: "Unigram")),
        (#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}"#,
         .malformed(path: "model.merges[0]", reason: "a merge of a token that is not in the vocabulary")),
        (#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a"]]}}"#, .malformed(path: "model.merges[0]", reason: "expected two strings")),
        (#"{"added_tokens": [{"id": 1}], \#(model)}"#, .malformed(path: "added_tokens[0].content", reason: "missing")),
        (#"{"normalizer": {"type": "Lowercase"}}"#, .malformed(path: "model", reason: "missing")),
        (#"[1]"#, .malformed(path: "$", reason: "expected an object, found array")),
        (#"{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\d+"}, "behavior": "Isolated"}, \#(model)}"#,
         .unsupported(path: "pre_tokenizer.pattern.Regex", type: #"Regex \d+"#)),
    ])
    func namesThePath(json: String, expected: TokenizerError) {
        #expect(throws: expected) { try Tokenizer(json: Array(json.utf8)) }
    }

    @Test func notJSON() {
        do {
            _ = try Tokenizer(json: Array("{\"model\": ".utf8))
            Issue.record("no error")
        } catch {
            #expect(error.path == "$")
            #expect(error.description.hasPrefix("$: invalid JSON at byte"))
        }
    }

    /// Found by fuzz/run tokenizer-files: one huge id sized the token table (a 1 TB allocation).
    @Test(arguments: [
        (#"{"model": {"type": "BPE", "vocab": {"a": 56666666666666666, "ab": 2}, "merges": []}}"#,
         TokenizerError.malformed(path: "model.vocab", reason: "id 56666666666666666 leaves more than 65536 ids unused in a vocabulary of 2 tokens")),
        (#"{"model": {"type": "WordPiece", "unk_token": "?", "vocab": {"?": 0, "a": 9223372036854775807}}}"#,
         .malformed(path: "model.vocab", reason: "id 9223372036854775807 leaves more than 65536 ids unused in a vocabulary of 2 tokens")),
        (#"{"added_tokens": [{"id": 70000, "content": "<x>"}], \#(model)}"#,
         .malformed(path: "added_tokens[0].id", reason: "id 70000 is outside 0..<65538 (the vocabulary's 1 ids and the added tokens)")),
        (#"{"added_tokens": [{"id": -1, "content": "<x>"}], \#(model)}"#,
         .malformed(path: "added_tokens[0].id", reason: "id -1 is outside 0..<65538 (the vocabulary's 1 ids and the added tokens)")),
    ])
    func hugeIDsAreErrors(json: String, expected: TokenizerError) {
        #expect(throws: expected) { try Tokenizer(json: Array(json.utf8)) }
    }

    /// Gaps in a vocabulary's ids are allowed up to the bound, and decode as nothing.
    @Test func sparseIDsWithinTheBound() throws {
        let json = #"{"model": {"type": "WordPiece", "unk_token": "?", "vocab": {"?": 0, "a": 60000}}}"#
        let tokenizer = try Tokenizer(json: Array(json.utf8))
        #expect(tokenizer.vocabularySize == 60001)
        #expect(tokenizer.encode("a").ids == [60000])
        #expect(tokenizer.encode("b").ids == [0])
    }
}
