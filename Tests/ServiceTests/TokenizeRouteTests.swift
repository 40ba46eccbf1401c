import Glibc
import JSON
import Testing

/// `POST /tokenize` and `POST /decode` on the harness's base model, given a small tokenizer.json.
@Suite struct TokenizeRouteTests {
    static let tokenizerJSON = """
        {"added_tokens": [{"id": 1, "content": "[CLS]", "special": true}, {"id": 2, "content": "[SEP]", "special": true}],
         "normalizer": {"type": "BertNormalizer", "lowercase": true}, "pre_tokenizer": {"type": "BertPreTokenizer"},
         "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 1]},
         "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
         "model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[PAD]": 0, "[CLS]": 1, "[SEP]": 2, "[UNK]": 3, "hello": 4, "world": 5, "!": 6}}}
        """

    static func harness() throws -> APIHarness {
        let api = try APIHarness()
        let file = fopen(api.modelsFolder + "/mini-bert/tokenizer.json", "w")
        fputs(tokenizerJSON, file)
        fclose(file)
        return api
    }

    @Test("Tokenize a string or a list, with or without special tokens; decode flat or nested ids")
    func roundTrip() throws {
        let api = try Self.harness()
        let one = try api.call("POST", "/tokenize", json: ["model": "mini-bert", "inputs": "Hello World!"])
        #expect(one.status == 200 && one.json["ids"] == [1, 4, 5, 6, 2])
        let many = try api.call("POST", "/tokenize", json: ["model": "mini-bert", "inputs": ["hello", "bye"], "add_special_tokens": false])
        #expect(many.json["ids"] == [[4], [3]])
        let offsets = try api.call("POST", "/tokenize", json: ["model": "mini-bert", "inputs": "H\u{E9}llo, World!", "return_offsets": true])
        #expect(offsets.json["ids"] == [1, 4, 3, 5, 6, 2])
        #expect(offsets.json["offsets"] == [[0, 0], [0, 5], [5, 6], [7, 12], [12, 13], [0, 0]])
        let text = try api.call("POST", "/decode", json: ["model": "mini-bert", "ids": [1, 4, 5, 6, 2]])
        #expect(text.status == 200 && text.json["text"] == "hello world!")
        let kept = try api.call("POST", "/decode", json: ["model": "mini-bert", "ids": [[1, 4, 2], [5]], "skip_special_tokens": false])
        #expect(kept.json["text"] == ["[CLS] hello [SEP]", "world"])
    }

    @Test("Unknown models, wrong types, bad ids and missing keys get clear errors")
    func errors() throws {
        let api = try Self.harness()
        let unknown = try api.call("POST", "/tokenize", json: ["model": "nope", "inputs": "x"])
        #expect(unknown.status == 404 && unknown.json["error"]?["code"] == "model_not_found" && unknown.json["error"]?["param"] == "model")
        let inputs = try api.call("POST", "/tokenize", json: ["model": "mini-bert", "inputs": 3])
        #expect(inputs.status == 400 && inputs.json["error"]?["param"] == "inputs")
        let item = try api.call("POST", "/tokenize", json: ["model": "mini-bert", "inputs": ["a", 1]])
        #expect(item.status == 400 && item.json["error"]?["message"]?.string?.contains("inputs[1]") == true)
        let flag = try api.call("POST", "/tokenize", json: ["model": "mini-bert", "inputs": "a", "add_special_tokens": "yes"])
        #expect(flag.status == 400 && flag.json["error"]?["param"] == "add_special_tokens")
        let id = try api.call("POST", "/decode", json: ["model": "mini-bert", "ids": [1, 99]])
        #expect(id.status == 400 && id.json["error"]?["code"] == "invalid_id")
        let ids = try api.call("POST", "/decode", json: ["model": "mini-bert", "ids": "1 2"])
        #expect(ids.status == 400 && ids.json["error"]?["param"] == "ids")
        let json = try api.call("POST", "/tokenize", body: Array("{".utf8))
        #expect(json.status == 400 && json.json["error"]?["code"] == "invalid_json")
        let anonymous = try TestClientCall.post(port: api.port, "/tokenize")
        #expect(anonymous == 401)
    }
}

import TestSupport

enum TestClientCall {
    static func post(port: Int, _ path: String) throws -> Int {
        try TestClient(port: port).request("POST", path, headers: [("Content-Type", "application/json")],
                                           body: Array(#"{"model":"mini-bert","inputs":"x"}"#.utf8)).status
    }
}
