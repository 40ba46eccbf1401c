import Tensor
import Testing
@testable import Engine

/// LoRA on BERT against PEFT (fixture from scripts/fixtures/tiny-bert-lora.py): adapters on
/// query, key and value (row blocks of the fused projection) with the classifier trained beside
/// them (modules_to_save); the base frozen.
@Suite struct BertLoRATests {
    static let folder = Fixtures.root + "/Tests/EngineTests/Fixtures/tiny-bert"

    @Test func matchesPEFT() throws {
        let fixture = try SafeTensors(path: Fixtures.root + "/Tests/EngineTests/Fixtures/tiny-bert-lora.safetensors")
        var config = try BertConfig.load(folder: Self.folder)
        config.labels = ["LABEL_0", "LABEL_1", "LABEL_2"]
        let model = Bert(config: config, maxB: 2, maxT: 6, trainable: true, frozen: true)
        #expect(try BertCheckpoint.load(model, from: SafeTensors(path: Self.folder + "/model.safetensors"), headOptional: false))
        let lora = try LoRA(layout: config.loraLayout, config: LoRAConfig(r: 4, alpha: 8, targets: ["query", "key", "value"]))
        #expect(lora.modules.map(\.id) == ["attention.self.query", "attention.self.key", "attention.self.value"])
        for (name, pointer, shape) in lora.peftTensors() {
            #expect(fixture["lora/" + name]?.shape == shape, "\(name)")
            try fixture.read("lora/" + name, into: pointer)
        }
        model.lora = lora
        let batch = BertBatch(B: 2, T: 6, ids: try Fixtures.integers(fixture, "ids"), types: try Fixtures.integers(fixture, "types"),
                              mask: try Fixtures.integers(fixture, "mask"), labels: try Fixtures.integers(fixture, "labels"))
        model.zeroGradients()
        try model.forward(batch)
        #expect(Fixtures.maxDifference(model.logits, try fixture.floats("lora/logits")) < 1e-4)
        #expect(abs(model.loss - (try fixture.floats("lora/loss"))[0]) < 1e-5)
        try model.backward()
        for (name, pointer, shape) in lora.peftTensors(in: lora.grads) {
            let error = try Fixtures.relativeError(pointer, shape, try fixture.floats("lora/grad/" + name))
            #expect(error < 1e-3, "\(name): relative gradient error \(error)")
        }
        let g = try #require(model.gradients)
        let head = "lora/grad/base_model.model.classifier.modules_to_save."
        #expect(try Fixtures.relativeError(g.clsw.pointer, g.clsw.shape, try fixture.floats(head + "weight")) < 1e-3)
        #expect(try Fixtures.relativeError(g.clsb.pointer, g.clsb.shape, try fixture.floats(head + "bias")) < 1e-3)
        // The frozen base gets no gradient.
        #expect(UnsafeBufferPointer(start: g.qkvw.pointer, count: g.qkvw.count).allSatisfy { $0 == 0 })
        #expect(UnsafeBufferPointer(start: g.wte.pointer, count: g.wte.count).allSatisfy { $0 == 0 })

        // Merged into the weights, the adapter's logits come from the base alone.
        let merged = Bert(config: config, maxB: 2, maxT: 6, trainable: false)
        _ = try BertCheckpoint.load(merged, from: SafeTensors(path: Self.folder + "/model.safetensors"), headOptional: false)
        lora.merge { merged.weight(module: $0, layer: $1) }
        try merged.forward(batch)
        #expect(Fixtures.maxDifference(merged.logits, try fixture.floats("lora/logits")) < 1e-4)
    }
}
