import Engine
import JSON
import Platform
import TestSupport
import Testing

/// `POST /embed` on the real all-MiniLM-L6-v2 (from scripts/fetch-models) against the engine's
/// parity fixture: sentence-transformers' normalised mean pooling, within 1e-5.
@Suite struct EmbedTests {
    static let root: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    @Test("/embed returns sentence-transformers' vectors for input_ids and names bad requests")
    func embed() throws {
        let folder = Self.root + "/models/all-MiniLM-L6-v2"
        #expect(Files.exists(folder + "/model.safetensors"), "run scripts/fetch-models")
        let api = try APIHarness(linkedModels: ["all-MiniLM-L6-v2": folder])
        let fixture = try SafeTensors(path: Self.root + "/Tests/EngineTests/Fixtures/bert-minilm.safetensors")
        let T = fixture["input_ids"]!.shape[1], C = 384
        let ids = try fixture.integers("input_ids"), mask = try fixture.integers("attention_mask"), mean = try fixture.floats("mean")
        let rows = [1, 4]
        let inputs: [JSONValue] = rows.map { b in
            .array((0..<T).filter { mask[b * T + $0] != 0 }.map { .int(ids[b * T + $0]) })
        }
        let response = try api.call("POST", "/embed", json: ["model": "all-MiniLM-L6-v2", "input_ids": .array(inputs)])
        #expect(response.status == 200, "\(response.text)")
        let vectors = response.json.array ?? []
        #expect(vectors.count == 2)
        for (k, b) in rows.enumerated() {
            let reference = Array(mean[(b * C)..<((b + 1) * C)])
            let norm = reference.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            let got = (vectors[k].array ?? []).compactMap(\.double)
            #expect(got.count == C)
            let worst = zip(got, reference).map { abs($0 - Double($1) / norm) }.max() ?? 1
            #expect(worst < 1e-5, "row \(b): \(worst)")
        }

        let single = try api.call("POST", "/embed", json: ["model": "all-MiniLM-L6-v2", "input_ids": [101, 7592, 102], "normalize": false])
        #expect(single.status == 200 && single.json.array?.count == 1)
        let text = try api.call("POST", "/embed", json: ["model": "all-MiniLM-L6-v2", "inputs": "hello"])
        #expect(text.status == 400 && text.json["error"]?["code"] == "tokenizer_unavailable")
        let bad = try api.call("POST", "/embed", json: ["model": "all-MiniLM-L6-v2", "input_ids": [[101, 99999]]])
        #expect(bad.status == 400 && bad.json["error"]?["message"]?.string?.contains("99999") == true)
        #expect(try api.call("POST", "/embed", json: ["model": "nope", "input_ids": [1]]).status == 404)
        #expect(try api.call("POST", "/embed", json: ["model": "mini-bert", "input_ids": [1]]).status == 500, "a config without weights")
        #expect(try api.call("POST", "/embed", json: ["input_ids": [1]]).status == 400, "two BERT models: model is required")
        #expect(try api.call("POST", "/embed", json: ["model": "all-MiniLM-L6-v2", "input_ids": [1]], key: "wrong").status == 401)
    }
}
