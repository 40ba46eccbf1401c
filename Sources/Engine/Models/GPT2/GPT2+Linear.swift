import Tensor

/// The linear layers (Conv1D in Hugging Face) of a GPT-2 block, by their paths in a block.
enum GPT2Module: String, CaseIterable, Sendable {
    case attention = "attn.c_attn", attentionOutput = "attn.c_proj", up = "mlp.c_fc", down = "mlp.c_proj"

    /// (inputs, outputs) of the layer.
    func shape(_ c: GPT2Config) -> (input: Int, output: Int) {
        switch self {
        case .attention: (c.hiddenSize, 3 * c.hiddenSize)
        case .attentionOutput: (c.hiddenSize, c.hiddenSize)
        case .up: (c.hiddenSize, c.innerSize)
        case .down: (c.innerSize, c.hiddenSize)
        }
    }

    /// The weight (outputs, inputs) and bias (outputs) of layer `l` in `p`.
    func tensors(_ p: GPT2Parameters, layer l: Int, _ c: GPT2Config) -> (weight: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>) {
        let (input, output) = shape(c)
        let (w, b): (TensorSlice, TensorSlice) = switch self {
        case .attention: (p.qkvw, p.qkvb)
        case .attentionOutput: (p.attprojw, p.attprojb)
        case .up: (p.fcw, p.fcb)
        case .down: (p.fcprojw, p.fcprojb)
        }
        return (w.pointer + l * input * output, b.pointer + l * output)
    }
}

extension GPT2Config {
    /// The layers LoRA can adapt (PEFT's `transformer.h.N.attn.c_attn`, …; `c_proj` names both
    /// projections, as in PEFT).
    public var loraLayout: LoRALayout {
        LoRALayout(layers: numLayers, blocks: "transformer.h", modules: GPT2Module.allCases.map { ($0.rawValue, $0.shape(self).input, $0.shape(self).output) },
                   defaults: ["c_attn"], fanInFanOut: true)
    }
}

extension GPT2 {
    /// out = inp·Wᵀ + b (added to out when `accumulate`), plus each row's adapter's update where
    /// it targets the module. inp: (N, in); out: (N, out).
    func linear(_ module: GPT2Module, layer l: Int, _ inp: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                N: Int, adapters: RowAdapters, accumulate: Bool = false) {
        let (input, output) = module.shape(config), (weight, bias) = module.tensors(parameters, layer: l, config)
        for r in 0..<N {
            let row = out + r * output
            if accumulate { for o in 0..<output { row[o] += bias[o] } } else { row.update(from: bias, count: output) }
        }
        Gemm.run(transposeA: false, transposeB: true, M: N, N: output, K: input, A: inp, lda: input, B: weight, ldb: input, beta: 1, C: out, ldc: output)
        adapters.forward(module.rawValue, layer: l, inp: inp, out: out, N: N, input: input, output: output)
    }

    /// The backward of `linear`: dinp += dout·W (and the adapter's path); the weight's and
    /// bias's gradients into `grads` when given; dA and dB into the adapter's grads.
    func linearBackward(_ module: GPT2Module, layer l: Int, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                        dinp: UnsafeMutablePointer<Float>, N: Int, grads: GPT2Parameters?, lora: LoRA?) {
        let (input, output) = module.shape(config), weight = module.tensors(parameters, layer: l, config).weight
        Gemm.run(transposeA: false, transposeB: false, M: N, N: input, K: output, A: dout, lda: output, B: weight, ldb: input, beta: 1, C: dinp, ldc: input)
        if let grads {
            let (dweight, dbias) = module.tensors(grads, layer: l, config)
            Gemm.run(transposeA: true, transposeB: false, M: output, N: input, K: N, A: dout, lda: output, B: inp, ldb: input, beta: 1, C: dweight, ldc: input)
            for r in 0..<N { for o in 0..<output { dbias[o] += dout[r * output + o] } }
        }
        lora?.backward(module.rawValue, layer: l, dout: dout, inp: inp, dinp: dinp, N: N, input: input, output: output)
    }
}
