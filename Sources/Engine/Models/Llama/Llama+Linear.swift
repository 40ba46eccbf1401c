import Tensor

/// The linear layers of a Llama block, by their Hugging Face (and PEFT `target_modules`) names.
enum LlamaModule: String, CaseIterable, Sendable {
    case q = "q_proj", k = "k_proj", v = "v_proj", o = "o_proj", gate = "gate_proj", up = "up_proj", down = "down_proj"

    /// (inputs, outputs) of the layer.
    func shape(_ c: LlamaConfig) -> (input: Int, output: Int) {
        switch self {
        case .q, .o: (c.hiddenSize, c.hiddenSize)
        case .k, .v: (c.hiddenSize, c.kvSize)
        case .gate, .up: (c.hiddenSize, c.intermediateSize)
        case .down: (c.intermediateSize, c.hiddenSize)
        }
    }

    /// The frozen base weight of layer `l`, (outputs, inputs).
    func weight(_ p: LlamaParameters, layer l: Int, _ c: LlamaConfig) -> UnsafeMutablePointer<Float> {
        let (input, output) = shape(c)
        let slice: TensorSlice = switch self {
        case .q: p.wq
        case .k: p.wk
        case .v: p.wv
        case .o: p.wo
        case .gate: p.wGate
        case .up: p.wUp
        case .down: p.wDown
        }
        return slice.pointer + l * input * output
    }

    /// The path inside a block, as PEFT's keys have it.
    var id: String { (self == .gate || self == .up || self == .down ? "mlp." : "self_attn.") + rawValue }
}

extension LlamaConfig {
    /// The layers LoRA can adapt (PEFT's `model.layers.N.self_attn.q_proj`, …).
    public var loraLayout: LoRALayout {
        LoRALayout(layers: numLayers, blocks: "model.layers", modules: LlamaModule.allCases.map { ($0.id, $0.shape(self).input, $0.shape(self).output) },
                  defaults: ["q_proj", "v_proj"])
    }
}

extension Llama {
    /// out = inp·Wᵀ (added to out when `accumulate`), plus the adapters' updates where they
    /// target the module. inp: (N, in); out: (N, out).
    func linear(_ module: LlamaModule, layer l: Int, _ inp: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                N: Int, adapters: RowAdapters, accumulate: Bool = false) {
        let (input, output) = module.shape(config)
        Gemm.run(transposeA: false, transposeB: true, M: N, N: output, K: input, A: inp, lda: input,
                 B: module.weight(parameters, layer: l, config), ldb: input, beta: accumulate ? 1 : 0, C: out, ldc: output)
        adapters.forward(module.id, layer: l, inp: inp, out: out, N: N, input: input, output: output)
    }

    /// `linear` with one adapter (or none) on every row.
    func linear(_ module: LlamaModule, layer l: Int, _ inp: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                N: Int, lora: LoRA?, accumulate: Bool = false) {
        linear(module, layer: l, inp, out, N: N, adapters: RowAdapters(lora), accumulate: accumulate)
    }

    /// The backward of `linear`: dinp += dout·W (and the adapter's path); the base weight's
    /// gradient into `grads` when given (full fine-tuning); dA and dB into the adapter's grads.
    func linearBackward(_ module: LlamaModule, layer l: Int, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                        dinp: UnsafeMutablePointer<Float>, N: Int, grads: LlamaParameters?, lora: LoRA?) {
        let (input, output) = module.shape(config)
        let weight = module.weight(parameters, layer: l, config)
        Gemm.run(transposeA: false, transposeB: false, M: N, N: input, K: output, A: dout, lda: output, B: weight, ldb: input, beta: 1, C: dinp, ldc: input)
        if let grads {
            Gemm.run(transposeA: true, transposeB: false, M: output, N: input, K: N, A: dout, lda: output, B: inp, ldb: input,
                     beta: 1, C: module.weight(grads, layer: l, config), ldc: input)
        }
        lora?.backward(module.id, layer: l, dout: dout, inp: inp, dinp: dinp, N: N, input: input, output: output)
    }
}
