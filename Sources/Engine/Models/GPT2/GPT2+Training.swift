import Tensor

extension GPT2 {
    /// Causal-LM loss over B sequences of T tokens (`targets`: the token each position should
    /// predict, -100 to ignore; the mean over the rest), with gradients scaled by `dloss` added
    /// into `grads` (every parameter, an arena of the parameters' layout: full fine-tuning) and
    /// into `lora.grads` (the base then stays frozen: pass no `grads`). The base has no dropout;
    /// LoRA's, when set.
    public func lossAndGradients(_ ids: [Int32], targets: [Int32], B: Int, T: Int, into grads: Arena?, lora: LoRA? = nil,
                                 dloss: Float = 1) -> TokenLoss {
        lossAndGradients(ids, targets: targets, B: B, T: T, into: grads, lora: lora, objective: .mean(dloss: dloss))
    }

    /// The same with any `objective` of the scored tokens' log-probabilities (DPO, ORPO), and
    /// with a `prefix` (prefix tuning: its gradients go into `prefix.grads`).
    public func lossAndGradients(_ ids: [Int32], targets: [Int32], B: Int, T: Int, into grads: Arena?, lora: LoRA?,
                                 prefix: PrefixTuning? = nil, objective: TokenObjective) -> TokenLoss {
        let c = config, p = parameters, g = grads.map { GPT2Parameters(arena: $0, config: c) }
        let C = c.hiddenSize, NH = c.numHeads, FF = c.innerSize, V = c.vocabSize, N = B * T
        precondition(targets.count == N, "GPT2.lossAndGradients: \(targets.count) targets for B \(B) × T \(T)")
        precondition(prefix == nil || grads == nil, "GPT2.lossAndGradients: prefix tuning keeps the base frozen")
        let table = prefix?.pass(training: true), P = prefix?.virtualTokens ?? 0
        let pass = forward(ids, B: B, T: T, lora: lora, prefix: table, logits: false)

        // LayerNorm's backward always accumulates weight and bias gradients: a sink when frozen.
        let sink = Floats(2 * C)
        func norms(_ weight: TensorSlice?, _ bias: TensorSlice?, _ l: Int) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
            guard let weight, let bias else { return (sink.pointer, sink.pointer + C) }
            return (weight.pointer + l * C, bias.pointer + l * C)
        }
        let dh = Floats(N * C), dx = Floats(N * C)
        let loss = OutputHead.lossAndGradients(h: pass.hf.pointer, dh: dh.pointer, weight: p.wte.pointer, dweight: g?.wte.pointer,
                                               targets: targets, N: N, C: C, V: V, objective: objective)
        let (dlnfw, dlnfb) = norms(g?.lnfw, g?.lnfb, 0)
        LayerNorm.backward(dinp: dx.pointer, dweight: dlnfw, dbias: dlnfb, dout: dh.pointer,
                           inp: pass.x.pointer, weight: p.lnfw.pointer, mean: pass.meanF.pointer, rstd: pass.rstdF.pointer, N: N, C: C)
        // pass.x is the stream after the last block; each block's input is kept in its activations.
        let dact = Floats(N * FF), dpre = Floats(N * FF), dmid = Floats(N * C), dy = Floats(N * C)
        let dqkv = Floats(N * 3 * C), datt = Floats(B * NH * T * (P + T))
        func zero(_ buffers: Floats..., count: Int) { for b in buffers { b.pointer.update(repeating: 0, count: count) } }
        for l in (0..<c.numLayers).reversed() {
            let a = pass.layers[l]
            zero(dact, dpre, count: N * FF)
            zero(dh, dy, count: N * C)
            zero(dqkv, count: N * 3 * C)
            linearBackward(.down, layer: l, dout: dx.pointer, inp: a.act.pointer, dinp: dact.pointer, N: N, grads: g, lora: lora)
            GELUTanh.backward(dinp: dpre.pointer, inp: a.pre.pointer, dout: dact.pointer, N: N * FF)
            linearBackward(.up, layer: l, dout: dpre.pointer, inp: a.h2.pointer, dinp: dh.pointer, N: N, grads: g, lora: lora)
            dmid.pointer.update(from: dx.pointer, count: N * C)
            let (dln2w, dln2b) = norms(g?.ln2w, g?.ln2b, l)
            LayerNorm.backward(dinp: dmid.pointer, dweight: dln2w, dbias: dln2b, dout: dh.pointer,
                               inp: a.xmid.pointer, weight: p.ln2w.pointer + l * C, mean: a.mean2.pointer, rstd: a.rstd2.pointer, N: N, C: C)
            linearBackward(.attentionOutput, layer: l, dout: dmid.pointer, inp: a.y.pointer, dinp: dy.pointer, N: N, grads: g, lora: lora)
            Attention.backward(dqkv: dqkv.pointer, datt: datt.pointer, dout: dy.pointer, qkv: a.qkv.pointer, att: a.att.pointer, scratch: nil,
                               B: B, T: T, C: C, NH: NH, prefix: table?.attention(layer: l))
            zero(dh, count: N * C)
            linearBackward(.attention, layer: l, dout: dqkv.pointer, inp: a.h1.pointer, dinp: dh.pointer, N: N, grads: g, lora: lora)
            dx.pointer.update(from: dmid.pointer, count: N * C)
            let (dln1w, dln1b) = norms(g?.ln1w, g?.ln1b, l)
            LayerNorm.backward(dinp: dx.pointer, dweight: dln1w, dbias: dln1b, dout: dh.pointer,
                               inp: a.x.pointer, weight: p.ln1w.pointer + l * C, mean: a.mean1.pointer, rstd: a.rstd1.pointer, N: N, C: C)
        }
        table?.finish()
        if let g {
            ids.withUnsafeBufferPointer { inp in
                Embeddings.backward(dwte: g.wte.pointer, dwpe: g.wpe.pointer, dwtt: nil, dout: dx.pointer, inp: inp.baseAddress!, types: nil, B: B, T: T, C: C)
            }
        }
        return loss
    }
}
