import Tensor
@testable import Engine

/// A small random BERT for tests that need no checkpoint.
enum TinyBert {
    static let config = BertConfig(
        vocabSize: 13, hiddenSize: 8, numLayers: 2, numHeads: 2, intermediateSize: 16, maxPositions: 8,
        typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropout: 0.1, attentionDropout: 0.1, labels: ["no", "yes", "maybe"])

    static func make(seed: UInt64 = 3, B: Int = 3, T: Int = 5) -> Bert {
        let model = Bert(config: config, maxB: B, maxT: T, trainable: true)
        var rng = TestRandom(seed)
        for i in 0..<model.params.count { model.params.pointer[i] = rng.uniform() * 0.2 }
        for ln in [model.parameters.embLNw, model.parameters.ln1w, model.parameters.ln2w] {
            for i in 0..<ln.count { ln.pointer[i] += 1 }
        }
        return model
    }

    /// AdamW (weight decay 0.01) over the model's parameters and gradients.
    static func optimizer(_ model: Bert) -> TrainedParameters {
        TrainedParameters(params: model.params, grads: model.grads!, groups: model.parameterGroups, weightDecay: 0.01)
    }

    static func batch(B: Int = 3, T: Int = 5) -> BertBatch {
        var ids: [Int32] = [], mask: [Int32] = []
        for b in 0..<B {
            for t in 0..<T {
                let real = t < T - b
                ids.append(real ? Int32((b * 7 + t * 3) % 13) : 0)
                mask.append(real ? 1 : 0)
            }
        }
        return BertBatch(B: B, T: T, ids: ids, mask: mask, labels: (0..<B).map { Int32($0 % 3) })
    }
}
