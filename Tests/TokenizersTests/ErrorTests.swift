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
}
