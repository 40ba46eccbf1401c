import Tensor

/// BERT's linear layers as PEFT names them in `bert.encoder.layer.N` (Q, K and V are the rows of
/// the fused projection; `dense` names the attention output, intermediate and output layers).
enum BertModule: String, CaseIterable {
    case query = "attention.self.query", key = "attention.self.key", value = "attention.self.value"
    case attentionOutput = "attention.output.dense", intermediate = "intermediate.dense", output = "output.dense"

    func shape(_ c: BertConfig) -> (input: Int, output: Int) {
        switch self {
        case .query, .key, .value, .attentionOutput: (c.hiddenSize, c.hiddenSize)
        case .intermediate: (c.hiddenSize, c.intermediateSize)
        case .output: (c.intermediateSize, c.hiddenSize)
        }
    }

    /// The (out, in) weight of layer `l` in `p`: Q, K and V are consecutive row blocks of qkvw.
    func weight(_ p: BertParameters, layer l: Int, _ c: BertConfig) -> UnsafeMutablePointer<Float> {
        let C = c.hiddenSize
        switch self {
        case .query: return p.qkvw[l].pointer
        case .key: return p.qkvw[l].pointer + C * C
        case .value: return p.qkvw[l].pointer + 2 * C * C
        case .attentionOutput: return p.attprojw[l].pointer
        case .intermediate: return p.fcw[l].pointer
        case .output: return p.fcprojw[l].pointer
        }
    }
}

extension BertConfig {
    /// The layers LoRA can adapt (PEFT's defaults for BERT: query and value).
    public var loraLayout: LoRALayout {
        LoRALayout(layers: numLayers, blocks: "bert.encoder.layer", modules: BertModule.allCases.map { ($0.rawValue, $0.shape(self).input, $0.shape(self).output) },
                   defaults: ["query", "value"], taskType: "SEQ_CLS")
    }

    /// The head a LoRA classifier trains beside its adapters (PEFT's `modules_to_save`), named as
    /// in BertForSequenceClassification, in the order the adapter's arena holds them. Weight
    /// decay applies to the weight only.
    public var loraHead: [(name: String, shape: [Int], decay: Bool)] {
        [(Self.headWeight, [numLabels, hiddenSize], true), (Self.headBias, [numLabels], false)]
    }

    static let headWeight = "classifier.weight", headBias = "classifier.bias"
}

extension Bert {
    /// LoRA classification training: the head's current values move into `adapter`'s arenas
    /// (made with `saved: config.loraHead`, LoRA or prefix tuning), and from then on the model reads and trains the
    /// head there, so the optimizer updates the one copy the model computes with.
    public func trainHead(in adapter: some Adapter) {
        guard let w = adapter.saved(BertConfig.headWeight, in: nil), let b = adapter.saved(BertConfig.headBias, in: nil),
              let dw = adapter.saved(BertConfig.headWeight, in: adapter.grads), let db = adapter.saved(BertConfig.headBias, in: adapter.grads) else {
            preconditionFailure("Bert: the adapter was not made with the head (config.loraHead)")
        }
        w.update(from: parameters.clsw.pointer, count: parameters.clsw.count)
        b.update(from: parameters.clsb.pointer, count: parameters.clsb.count)
        bindHead(weight: w, bias: b, dweight: dw, dbias: db)
    }

    /// Inference: the head a LoRA classifier trained, copied from `adapter` into the model.
    /// False when the adapter has no head.
    public func copyHead(from adapter: some Adapter) -> Bool {
        guard let w = adapter.saved(BertConfig.headWeight, in: nil), let b = adapter.saved(BertConfig.headBias, in: nil) else { return false }
        parameters.clsw.pointer.update(from: w, count: parameters.clsw.count)
        parameters.clsb.pointer.update(from: b, count: parameters.clsb.count)
        return true
    }
}

extension Bert {
    /// The (out, in) weight of linear layer `id` (a LoRA module id) in block `l`, for merging.
    public func weight(module id: String, layer l: Int) -> UnsafeMutablePointer<Float>? {
        BertModule(rawValue: id).map { $0.weight(parameters, layer: l, config) }
    }

    /// The adapter's part of the fused Q/K/V projection: each adapted of Q, K, V adds into its
    /// columns of qkv (N, 3C).
    func loraQKV(_ lora: LoRA, layer l: Int, inp: UnsafePointer<Float>, qkv: UnsafeMutablePointer<Float>, N: Int) {
        let C = config.hiddenSize
        for (i, module) in [BertModule.query, .key, .value].enumerated() {
            lora.forward(module.rawValue, layer: l, inp: inp, out: qkv + i * C, N: N, input: C, output: C, ldOut: 3 * C)
        }
    }

    /// The backward of `loraQKV`: dqkv (N, 3C) into the adapters' gradients and dinp.
    func loraQKVBackward(_ lora: LoRA, layer l: Int, dqkv: UnsafePointer<Float>, inp: UnsafePointer<Float>, dinp: UnsafeMutablePointer<Float>, N: Int) {
        let C = config.hiddenSize
        for (i, module) in [BertModule.query, .key, .value].enumerated() {
            lora.backward(module.rawValue, layer: l, dout: dqkv + i * C, inp: inp, dinp: dinp, N: N, input: C, output: C, ldOut: 3 * C)
        }
    }
}

extension BertConfig {
    /// The keys and values a prefix gives each layer (prefix tuning): the hidden size, all heads.
    public var prefixLayout: PrefixLayout { PrefixLayout(layers: numLayers, width: hiddenSize, heads: numHeads, taskType: "SEQ_CLS") }
}
