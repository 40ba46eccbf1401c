import Engine
import Platform
import Testing
import TestSupport
@testable import Inference

/// The embedder against sentence-transformers' recipe on all-MiniLM-L6-v2 (the engine's parity
/// fixture holds the mean-pooled vectors; normalised here as the model's 2_Normalize does).
@Suite struct EmbedderTests {
    static let root = repositoryRoot
    static let model = root + "/models/all-MiniLM-L6-v2"

    @Test func matchesSentenceTransformers() throws {
        #expect(Files.exists(Self.model + "/model.safetensors"), "run scripts/fetch-models")
        let fixture = try SafeTensors(path: Self.root + "/Tests/EngineTests/Fixtures/bert-minilm.safetensors")
        let shape = fixture["input_ids"]!.shape
        let ids = try fixture.integers("input_ids"), mask = try fixture.integers("attention_mask")
        var inputs: [[Int]] = []
        for b in 0..<shape[0] {
            inputs.append((0..<shape[1]).filter { mask[b * shape[1] + $0] != 0 }.map { Int(ids[b * shape[1] + $0]) })
        }
        let embedder = Embedder(maxBatch: 3)  // several passes with different T
        let vectors = try embedder.embed(folder: Self.model, name: "minilm", inputIds: inputs, normalize: true, truncate: true)
        let mean = try fixture.floats("mean"), C = 384
        var worst: Float = 0
        for (b, vector) in vectors.enumerated() {
            var reference = Array(mean[(b * C)..<((b + 1) * C)])
            Embedder.normalize(&reference)
            for c in 0..<C { worst = max(worst, abs(vector[c] - reference[c])) }
        }
        print("embed: worst difference \(worst)")
        #expect(vectors.count == 8 && worst < 1e-5)

        #expect(throws: EmbedError.invalidToken(index: 1, id: 40000, vocabulary: 30522)) {
            try embedder.embed(folder: Self.model, name: "minilm", inputIds: [[101, 102], [101, 40000]], normalize: true, truncate: true)
        }
        #expect(throws: EmbedError.tooLong(index: 0, length: 600, limit: 512)) {
            try embedder.embed(folder: Self.model, name: "minilm", inputIds: [[Int](repeating: 1000, count: 600)], normalize: true, truncate: false)
        }
        let long = try embedder.embed(folder: Self.model, name: "minilm", inputIds: [[Int](repeating: 1000, count: 600)], normalize: false, truncate: true)
        #expect(long.count == 1 && long[0].count == 384)
        #expect(throws: EmbedError.self) { try embedder.embed(folder: "/nonexistent", name: "x", inputIds: [[1]], normalize: true, truncate: true) }
    }
}
