import Engine
import JSON
import Platform
import TestSupport
import Testing

/// `POST /embed` on the real all-MiniLM-L6-v2 (from scripts/fetch-models) against the engine's
/// parity fixture: sentence-transformers' normalised mean pooling, within 1e-5.
@Suite struct EmbedTests {
    static let root = repositoryRoot

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
        let wrongType = try api.call("POST", "/embed", json: ["model": "all-MiniLM-L6-v2", "inputs": [1, 2]])
        #expect(wrongType.status == 400 && wrongType.json["error"]?["param"] == "inputs")
        let bad = try api.call("POST", "/embed", json: ["model": "all-MiniLM-L6-v2", "input_ids": [[101, 99999]]])
        #expect(bad.status == 400 && bad.json["error"]?["message"]?.string?.contains("99999") == true)
        #expect(try api.call("POST", "/embed", json: ["model": "nope", "input_ids": [1]]).status == 404)
        #expect(try api.call("POST", "/embed", json: ["model": "mini-bert", "input_ids": [1]]).status == 500, "a config without weights")
        #expect(try api.call("POST", "/embed", json: ["input_ids": [1]]).status == 400, "two BERT models: model is required")
        #expect(try api.call("POST", "/embed", json: ["model": "all-MiniLM-L6-v2", "input_ids": [1]], key: "wrong").status == 401)
    }

    @Test("/embed on text gives sentence-transformers' normalised vectors, long inputs truncated as it does")
    func embedText() throws {
        let folder = Self.root + "/models/all-MiniLM-L6-v2"
        let api = try APIHarness(linkedModels: ["all-MiniLM-L6-v2": folder])
        guard let bytes = Files.read(Self.root + "/Tests/ServiceTests/Fixtures/embed-minilm.json") else {
            Issue.record("missing fixture (scripts/fixtures/embed.py)")
            return
        }
        let fixture = try JSONValue(parsing: bytes)
        let texts = fixture["texts"]?.array ?? []
        let expected = (fixture["vectors"]?.array ?? []).map { ($0.array ?? []).compactMap(\.double) }
        let response = try api.call("POST", "/embed", json: ["model": "all-MiniLM-L6-v2", "inputs": .array(texts)])
        #expect(response.status == 200, "\(response.text)")
        let vectors = (response.json.array ?? []).map { ($0.array ?? []).compactMap(\.double) }
        #expect(vectors.count == texts.count && !texts.isEmpty)
        for (index, (got, want)) in zip(vectors, expected).enumerated() {
            let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 1
            #expect(got.count == 384 && worst < 1e-5, "text \(index): \(worst)")
        }
        let one = try api.call("POST", "/embed", json: ["model": "all-MiniLM-L6-v2", "inputs": texts[0]])
        #expect(one.json.array?.count == 1)
    }
}
