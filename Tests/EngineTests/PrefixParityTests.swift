import Glibc
import JSON
import Tensor
import Testing
@testable import Engine

/// Prefix tuning against PEFT 0.21 (fixture from scripts/fixtures/prefix-tuning.py, P = 3):
/// the prefix in every layer's attention (grouped heads for Llama), the tokens' positions after
/// it, the logits, the loss, the gradients of what trains, the decoding cache and the export.
@Suite struct PrefixParityTests {
    static let fixtures = Fixtures.root + "/Tests/EngineTests/Fixtures"
    let fixture: SafeTensors

    init() throws { fixture = try SafeTensors(path: Self.fixtures + "/prefix-tuning.safetensors") }

    /// The weights file an export writes, read back.
    func written(_ writer: SafeTensorsWriter, _ key: String) throws -> SafeTensors {
        let path = "/tmp/anneal-prefix-\(getpid())-\(key).safetensors"
        defer { unlink(path) }
        try writer.write(to: path)
        return try SafeTensors(path: path)
    }

    /// A prefix with PEFT's parameters of case `key` read in.
    func prefix(_ key: String, layout: PrefixLayout, config: PrefixConfig, saved: [(name: String, shape: [Int], decay: Bool)] = []) throws -> PrefixTuning {
        let prefix = PrefixTuning(layout: layout, config: config, saved: saved)
        var offset = 0
        let names = config.projection ? ["embedding.weight", "transform.0.weight", "transform.0.bias", "transform.2.weight", "transform.2.bias"]
                                      : ["embedding.weight"]
        for name in names {
            let values = try fixture.floats("\(key)/param/\(name)")
            (prefix.params.pointer + offset).update(from: values, count: values.count)
            offset += values.count
        }
        return prefix
    }

    /// The trained parameters' gradients against PEFT's, in the arena's order.
    func expectGradients(_ key: String, _ prefix: PrefixTuning) throws {
        let names = prefix.config.projection ? ["embedding.weight", "transform.0.weight", "transform.0.bias", "transform.2.weight", "transform.2.bias"]
                                             : ["embedding.weight"]
        var offset = 0
        for name in names {
            let theirs = try fixture.floats("\(key)/grad/\(name)")
            let error = try Fixtures.relativeError(prefix.grads.pointer + offset, [theirs.count], theirs)
            #expect(error < 1e-3, "\(key) \(name): relative gradient error \(error)")
            offset += theirs.count
        }
    }

    /// transformers' `labels = ids`: position t predicts token t + 1, the last one nothing.
    func targets(_ ids: [Int32], T: Int) -> [Int32] { (0..<ids.count).map { $0 % T == T - 1 ? Int32(-100) : ids[$0 + 1] } }

    func checkLanguageModel(_ key: String, _ model: any CausalLM, config: PrefixConfig) throws {
        let prefix = try prefix(key, layout: model.prefixLayout, config: config)
        let P = 3, T = 7, V = model.vocabSize, ids = try Fixtures.integers(fixture, "\(key)/ids")
        let table = prefix.pass()
        #expect(Fixtures.maxDifference(UnsafeBufferPointer(start: table.table, count: P * model.prefixLayout.rowWidth),
                                       try fixture.floats("\(key)/table")) < 1e-5)
        let logits = model.logits(ids, B: 2, T: T, lora: nil, prefix: prefix)
        let difference = Fixtures.maxDifference(logits, try fixture.floats("\(key)/logits"))
        #expect(difference < 1e-4, "\(key): logits differ by \(difference)")
        let result = model.lossAndGradients(ids, targets: targets(ids, T: T), B: 2, T: T, into: nil, lora: nil, prefix: prefix, objective: .mean(dloss: 1))
        #expect(abs(result.loss - (try fixture.floats("\(key)/loss"))[0]) < 1e-5)
        try expectGradients(key, prefix)
        // Decoding: the prefix fills the cache's first slots, the tokens' positions follow.
        let session = model.session(lora: nil, prefix: prefix, capacity: T)
        #expect(session.count == P && session.capacity == P + T)
        for t in 0..<T {
            let step = session.append([ids[T + t]])
            #expect(Fixtures.maxDifference(step, Array(logits[((T + t) * V)..<((T + t + 1) * V)])) < 1e-5, "\(key) position \(t)")
        }
        // The export: PEFT's file names the table as its own save does.
        let (peftConfig, writer) = prefix.peftFiles(base: "tiny")
        #expect(peftConfig["peft_type"]?.string == "PREFIX_TUNING" && peftConfig["num_virtual_tokens"]?.int == P)
        let exported = try written(writer, key)
        #expect(Fixtures.maxDifference(try exported.floats("prompt_embeddings"), try fixture.floats("\(key)/saved/prompt_embeddings")) < 1e-5)
    }

    @Test func llamaWithGroupedHeads() throws {
        let model = try Llama.load(folder: Self.fixtures + "/tiny-llama", maxT: 16)
        #expect(model.prefixLayout == PrefixLayout(layers: 2, width: 16, heads: 2))
        try checkLanguageModel("llama", model, config: PrefixConfig(virtualTokens: 3))
    }

    @Test func llamaWithProjection() throws {
        let model = try Llama.load(folder: Self.fixtures + "/tiny-llama", maxT: 16)
        try checkLanguageModel("llama-projection", model, config: PrefixConfig(virtualTokens: 3, projection: true, encoderHiddenSize: 16))
    }

    @Test func gpt2() throws {
        try checkLanguageModel("gpt2", try GPT2.load(folder: Self.fixtures + "/tiny-gpt2"), config: PrefixConfig(virtualTokens: 3))
    }

    /// A classifier: the prefix and PEFT's copy of the head train over the frozen encoder; the
    /// mask covers the tokens, never the prefix.
    @Test(arguments: [false, true]) func bertClassifier(firstTokenOnly: Bool) throws {
        var config = try BertConfig.load(folder: Self.fixtures + "/tiny-bert")
        config.labels = ["LABEL_0", "LABEL_1", "LABEL_2"]
        let model = Bert(config: config, maxB: 2, maxT: 6, trainable: true, frozen: true, prefixSlots: 3)
        model.firstTokenOnly = firstTokenOnly
        #expect(try BertCheckpoint.load(model, from: SafeTensors(path: Self.fixtures + "/tiny-bert/model.safetensors"), headOptional: false))
        let prefix = try prefix("bert", layout: config.prefixLayout, config: PrefixConfig(virtualTokens: 3), saved: config.loraHead)
        model.trainHead(in: prefix)
        model.prefix = prefix
        let batch = BertBatch(B: 2, T: 6, ids: try Fixtures.integers(fixture, "bert/ids"), types: try Fixtures.integers(fixture, "bert/types"),
                              mask: try Fixtures.integers(fixture, "bert/mask"), labels: try Fixtures.integers(fixture, "bert/labels"))
        model.zeroGradients()
        try model.forward(batch)
        #expect(Fixtures.maxDifference(model.logits, try fixture.floats("bert/logits")) < 1e-4)
        #expect(abs(model.loss - (try fixture.floats("bert/loss"))[0]) < 1e-5)
        try model.backward()
        try expectGradients("bert", prefix)
        let head = "bert/grad/classifier.modules_to_save."
        #expect(try Fixtures.relativeError(prefix.saved("classifier.weight", in: prefix.grads)!, [3, 32], try fixture.floats(head + "weight")) < 1e-3)
        #expect(try Fixtures.relativeError(prefix.saved("classifier.bias", in: prefix.grads)!, [3], try fixture.floats(head + "bias")) < 1e-3)
        let exported = try written(prefix.peftFiles(base: "tiny").weights, "bert-\(firstTokenOnly)")
        for name in ["prompt_embeddings", "base_model.classifier.weight", "base_model.classifier.bias"] {
            #expect(Fixtures.maxDifference(try exported.floats(name), try fixture.floats("bert/saved/" + name)) < 1e-5, "\(name)")
        }
    }
}
