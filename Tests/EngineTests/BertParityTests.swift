import Platform
import Tensor
import Testing
@testable import Engine

/// Parity with HF transformers on all-MiniLM-L6-v2 (fixture from scripts/fixtures/bert.py).
/// The model comes from scripts/fetch-models; without it these tests fail, they do not skip.
@Suite(.serialized) struct BertParityTests {
    let fixture: SafeTensors
    let model: Bert
    let batch: BertBatch

    init() throws {
        #expect(Files.exists(Fixtures.minilm + "/model.safetensors"), "run scripts/fetch-models: \(Fixtures.minilm) is missing")
        fixture = try SafeTensors(path: Fixtures.bertFixture)
        var config = try BertConfig.load(folder: Fixtures.minilm)
        config.labels = ["LABEL_0", "LABEL_1"]
        let shape = fixture["input_ids"]!.shape
        model = Bert(config: config, maxB: shape[0], maxT: shape[1], trainable: true)
        let head = try BertCheckpoint.load(model, from: SafeTensors(path: Fixtures.minilm + "/model.safetensors"))
        #expect(!head, "the base model has no classifier")
        try fixture.read("classifier.weight", into: model.parameters.clsw.pointer)
        try fixture.read("classifier.bias", into: model.parameters.clsb.pointer)
        batch = BertBatch(
            B: shape[0], T: shape[1], ids: try Fixtures.integers(fixture, "input_ids"),
            types: try Fixtures.integers(fixture, "token_type_ids"), mask: try Fixtures.integers(fixture, "attention_mask"),
            labels: try Fixtures.integers(fixture, "labels"))
    }

    @Test func forward() throws {
        try model.forward(batch)
        // Real tokens within 1e-5. Padding rows are not computed (padding-free: they are zero);
        // nothing downstream reads them.
        let reference = try fixture.floats("hidden"), C = model.config.hiddenSize, state = model.hiddenState
        var hidden: Float = 0, padded: Float = 0
        for (row, keep) in batch.mask.enumerated() {
            for c in 0..<C {
                if keep != 0 { hidden = max(hidden, abs(state[row * C + c] - reference[row * C + c])) } else { padded = max(padded, abs(state[row * C + c])) }
            }
        }
        let pooler = Fixtures.maxDifference(model.pooled, try fixture.floats("pooler"))
        let mean = Fixtures.maxDifference(model.sentenceEmbeddings, try fixture.floats("mean"))
        let logits = Fixtures.maxDifference(model.logits, try fixture.floats("logits"))
        print("parity: hidden \(hidden) (padding \(padded)), pooler \(pooler), mean \(mean), logits \(logits)")
        #expect(hidden < 1e-5)
        #expect(padded == 0 && batch.mask.contains(0), "the fixture has padding, and padding-free leaves it zero")
        #expect(pooler < 1e-5)
        #expect(mean < 1e-5)
        #expect(logits < 1e-4)
        #expect(model.config.pooling == .mean)
    }

    /// An inference model (one layer's activations, reused) gives the same sentence embeddings.
    @Test func inferenceModel() throws {
        let encoder = Bert(config: try BertConfig.load(folder: Fixtures.minilm), maxB: batch.B, maxT: batch.T, trainable: false)
        #expect(try !BertCheckpoint.load(encoder, from: SafeTensors(path: Fixtures.minilm + "/model.safetensors")))
        try encoder.forward(BertBatch(B: batch.B, T: batch.T, ids: batch.ids, types: batch.types, mask: batch.mask))
        #expect(Fixtures.maxDifference(encoder.sentenceEmbeddings, try fixture.floats("mean")) < 1e-5)
        #expect(Fixtures.maxDifference(encoder.pooled, try fixture.floats("pooler")) < 1e-5)
        #expect(encoder.acts.arena.count < model.acts.arena.count / 3)
    }

    /// The classifier's path (the last layer on the first token only) gives transformers' pooler
    /// output and logits.
    @Test func firstTokenOnlyLogits() throws {
        model.firstTokenOnly = true
        try model.forward(batch)
        #expect(Fixtures.maxDifference(model.pooled, try fixture.floats("pooler")) < 1e-5)
        #expect(Fixtures.maxDifference(model.logits, try fixture.floats("logits")) < 1e-4)
    }

    /// One training step, on the whole computation and on the classifier's path that
    /// ClassificationTrainer runs (`firstTokenOnly`).
    @Test(arguments: [false, true]) func trainingStep(firstTokenOnly: Bool) throws {
        model.firstTokenOnly = firstTokenOnly
        model.zeroGradients()
        try model.forward(batch)
        try model.backward()
        let loss = try fixture.floats("loss")[0]
        print("parity: loss \(model.loss) against \(loss)")
        #expect(abs(model.loss - loss) < 1e-5)

        let grads = BertCheckpoint.names(model.gradients!, config: model.config)
        let params = BertCheckpoint.names(model.parameters, config: model.config)
        var worstNorm: Double = 0, worstSample: Double = 0
        var noise: [String: Float] = [:]  // largest |gradient| of both sides, for vanishing gradients
        for (key, slice) in grads {
            let index = try fixture.integers("grad/\(key)/index").map { Int($0) }
            let reference = try fixture.floats("grad/\(key)/value")
            let norm = Double(try fixture.floats("grad/\(key)/norm")[0])
            var ours: Double = 0
            for i in 0..<slice.count { ours += Double(slice.pointer[i]) * Double(slice.pointer[i]) }
            var difference: Double = 0, sampled: Double = 0
            for (k, i) in index.enumerated() {
                let d = Double(slice.pointer[i]) - Double(reference[k])
                difference += d * d
                sampled += Double(reference[k]) * Double(reference[k])
            }
            if norm < 1e-8 {
                // The key biases: softmax is invariant to adding q·b_k to a whole row, so their
                // gradient is exactly zero and both sides hold rounding noise (about 1e-10).
                #expect(ours.squareRoot() < 1e-8, "\(key): gradient should vanish, norm \(ours.squareRoot())")
                let largest = (0..<slice.count).map { abs(slice.pointer[$0]) }.max()! + reference.map { abs($0) }.max()!
                noise[key] = Float(largest)
                continue
            }
            let normError = abs(ours.squareRoot() - norm) / max(norm, 1e-12)
            let sampleError = difference.squareRoot() / max(sampled.squareRoot(), 1e-12)
            worstNorm = max(worstNorm, normError)
            worstSample = max(worstSample, sampleError)
            #expect(normError < 1e-3, "gradient norm of \(key): relative error \(normError)")
            #expect(sampleError < 1e-3, "gradient of \(key) at \(index.count) samples: relative error \(sampleError)")
        }
        print("parity: worst gradient norm error \(worstNorm), worst sampled gradient error \(worstSample)")

        let schedule = LRSchedule(kind: .linear, learningRate: Double(try fixture.floats("lr")[0]), totalSteps: Int(try fixture.floats("total_steps")[0]))
        let trained = TrainedParameters(params: model.params, grads: model.grads!, groups: model.parameterGroups, weightDecay: 0.01)
        _ = trained.step(lr: schedule.rate(at: 0), maxGradNorm: Double(try fixture.floats("max_grad_norm")[0]))
        var worstParameter: Float = 0, worstKey = ""
        for (key, slice) in params {
            let index = try fixture.integers("grad/\(key)/index").map { Int($0) }
            let reference = try fixture.floats("after/\(key)/value")
            let difference = Fixtures.maxDifference(index.map { slice.pointer[$0] }, reference)
            // Adam's first step is lr·g/(|g| + eps): for a vanishing gradient it moves by
            // lr·noise/eps, different noise on each side, so those tensors get that much more.
            let tolerance = 1e-6 + (noise[key].map { Float(schedule.rate(at: 0)) * $0 / 1e-8 } ?? 0)
            if noise[key] == nil && difference > worstParameter { (worstParameter, worstKey) = (difference, key) }
            #expect(difference < tolerance, "\(key) after one AdamW step: difference \(difference), tolerance \(tolerance)")
        }
        print("parity: worst parameter difference after one step \(worstParameter) (\(worstKey)); vanishing-gradient tensors: \(noise.count)")
    }
}
