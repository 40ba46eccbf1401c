import Tensor

/// One layer's saved forward tensors, for backward: M packed rows (`PackedRows`), except the
/// attention's Q|K|V and probabilities, in the padded (B, T) layout.
final class LlamaLayerActivations {
    let x: Floats, h1: Floats, rstd1: Floats, qkv: Floats, att: Floats, y: Floats
    let xmid: Floats, h2: Floats, rstd2: Floats, gate: Floats, up: Floats, act: Floats
    init(config c: LlamaConfig, B: Int, T: Int, P: Int, M: Int) {
        let N = B * T, C = c.hiddenSize, FF = c.intermediateSize
        (x, h1, rstd1, qkv, att, y) = (Floats(M * C), Floats(M * C), Floats(M), Floats(N * 3 * C), Floats(B * c.numHeads * T * (P + T)), Floats(M * C))
        (xmid, h2, rstd2, gate, up, act) = (Floats(M * C), Floats(M * C), Floats(M), Floats(M * FF), Floats(M * FF), Floats(M * FF))
    }
}

extension Llama {
    /// Causal-LM loss over B sequences of T tokens (`targets`: the token each position should
    /// predict, -100 to ignore; the mean over the rest, as transformers' `labels` after its
    /// shift), with gradients scaled by `dloss` added into `grads` (every parameter, an arena of
    /// the parameters' layout: full fine-tuning) and into `lora.grads` (the adapters' A and B;
    /// the base weights then stay frozen, pass no `grads`). The base has no dropout; LoRA's when set.
    public func lossAndGradients(_ ids: [Int32], targets: [Int32], B: Int, T: Int, into grads: Arena?, lora: LoRA? = nil,
                                 dloss: Float = 1) -> TokenLoss {
        lossAndGradients(ids, targets: targets, B: B, T: T, into: grads, lora: lora, objective: .mean(dloss: dloss))
    }

    /// The same with any `objective` of the scored tokens' log-probabilities (DPO, ORPO), and
    /// with a `prefix` (prefix tuning: its gradients go into `prefix.grads`). Padding-free: each
    /// sequence runs up to its last scored position only (the rows after it, padding included,
    /// feed nothing scored under the causal mask), packed for every step but attention.
    public func lossAndGradients(_ ids: [Int32], targets: [Int32], B: Int, T: Int, into grads: Arena?, lora: LoRA?,
                                 prefix: PrefixTuning? = nil, objective: TokenObjective) -> TokenLoss {
        let c = config, p = parameters, g = grads.map { LlamaParameters(arena: $0, config: c) }
        let C = c.hiddenSize, KV = c.kvSize, NH = c.numHeads, hs = c.headSize, FF = c.intermediateSize, V = c.vocabSize
        let group = NH / c.numKVHeads
        precondition(ids.count == B * T && targets.count == B * T && (prefix?.virtualTokens ?? 0) + T <= maxT, "Llama.lossAndGradients: \(ids.count) ids for B \(B) × T \(T)")
        precondition(prefix == nil || grads == nil, "Llama.lossAndGradients: prefix tuning keeps the base frozen")
        let rows = PackedRows(scoredThrough: targets, B: B, T: T), packed = rows.padded != nil
        // N: the packed rows every step but attention runs on.
        let N = rows.count, ids = rows.pack(ids), targets = rows.pack(targets)
        guard N > 0 else { return TokenLoss(loss: 0, correct: 0, scored: 0) }
        let P = prefix?.virtualTokens ?? 0, table = prefix?.pass(training: true)
        let positions = (0..<N).map { Int32(P + rows.row($0) % T) }
        let x = Floats(N * C), q = Floats(N * C), k = Floats(N * KV), v = Floats(N * KV)
        let paddedY = packed ? Floats(B * T * C) : nil  // attention's output in the padded layout
        embed(ids, into: x.pointer)
        var layers: [LlamaLayerActivations] = []
        for l in 0..<c.numLayers {
            let a = LlamaLayerActivations(config: c, B: B, T: T, P: P, M: N)
            a.x.pointer.update(from: x.pointer, count: N * C)
            RMSNorm.forward(out: a.h1.pointer, rstd: a.rstd1.pointer, inp: x.pointer, weight: p.attnNorm.pointer + l * C, N: N, C: C, eps: c.rmsNormEps)
            linear(.q, layer: l, a.h1.pointer, q.pointer, N: N, lora: lora)
            linear(.k, layer: l, a.h1.pointer, k.pointer, N: N, lora: lora)
            linear(.v, layer: l, a.h1.pointer, v.pointer, N: N, lora: lora)
            RoPE.apply(q.pointer, positions: positions, cos: cos, sin: sin, rows: N, heads: NH, hs: hs, stride: C)
            RoPE.apply(k.pointer, positions: positions, cos: cos, sin: sin, rows: N, heads: c.numKVHeads, hs: hs, stride: KV)
            for r in 0..<N {
                let row = a.qkv.pointer + rows.row(r) * 3 * C
                row.update(from: q.pointer + r * C, count: C)
                for head in 0..<NH {
                    (row + C + head * hs).update(from: k.pointer + r * KV + (head / group) * hs, count: hs)
                    (row + 2 * C + head * hs).update(from: v.pointer + r * KV + (head / group) * hs, count: hs)
                }
            }
            Attention.forward(out: paddedY?.pointer ?? a.y.pointer, att: a.att.pointer, scratch: nil, qkv: a.qkv.pointer, mask: nil,
                              B: B, T: T, C: C, NH: NH, causal: true, prefix: table?.attention(layer: l, group: group))
            if let paddedY { rows.gather(paddedY.pointer, into: a.y.pointer, width: C) }
            linear(.o, layer: l, a.y.pointer, x.pointer, N: N, lora: lora, accumulate: true)
            a.xmid.pointer.update(from: x.pointer, count: N * C)
            RMSNorm.forward(out: a.h2.pointer, rstd: a.rstd2.pointer, inp: x.pointer, weight: p.ffnNorm.pointer + l * C, N: N, C: C, eps: c.rmsNormEps)
            linear(.gate, layer: l, a.h2.pointer, a.gate.pointer, N: N, lora: lora)
            linear(.up, layer: l, a.h2.pointer, a.up.pointer, N: N, lora: lora)
            SwiGLU.forward(out: a.act.pointer, gate: a.gate.pointer, up: a.up.pointer, N: N * FF)
            linear(.down, layer: l, a.act.pointer, x.pointer, N: N, lora: lora, accumulate: true)
            layers.append(a)
        }
        let hf = Floats(N * C), rstdF = Floats(N)
        RMSNorm.forward(out: hf.pointer, rstd: rstdF.pointer, inp: x.pointer, weight: p.finalNorm.pointer, N: N, C: C, eps: c.rmsNormEps)
        let head = c.tiedEmbeddings ? p.wte.pointer : p.lmHead.pointer, dhead = g.map { c.tiedEmbeddings ? $0.wte.pointer : $0.lmHead.pointer }

        // Backward, layer by layer down; dx is the gradient of the residual stream.
        let dhf = Floats(N * C), dx = Floats(N * C)
        let loss = OutputHead.lossAndGradients(h: hf.pointer, dh: dhf.pointer, weight: head, dweight: dhead, targets: targets, N: N, C: C, V: V, objective: objective)
        RMSNorm.backward(dinp: dx.pointer, dweight: g?.finalNorm.pointer, dout: dhf.pointer, inp: x.pointer, weight: p.finalNorm.pointer, rstd: rstdF.pointer, N: N, C: C)
        let dact = Floats(N * FF), dgate = Floats(N * FF), dup = Floats(N * FF), dh = Floats(N * C), dmid = Floats(N * C)
        let dy = Floats(N * C), dqkv = Floats(B * T * 3 * C), datt = Floats(B * NH * T * (P + T)), dk = Floats(N * KV), dv = Floats(N * KV)
        func zero(_ buffers: Floats..., count: Int) { for b in buffers { b.pointer.update(repeating: 0, count: count) } }
        for l in (0..<c.numLayers).reversed() {
            let a = layers[l]
            zero(dact, dgate, dup, count: N * FF)
            zero(dh, dy, count: N * C)
            linearBackward(.down, layer: l, dout: dx.pointer, inp: a.act.pointer, dinp: dact.pointer, N: N, grads: g, lora: lora)
            SwiGLU.backward(dgate: dgate.pointer, dup: dup.pointer, dout: dact.pointer, gate: a.gate.pointer, up: a.up.pointer, N: N * FF)
            linearBackward(.gate, layer: l, dout: dgate.pointer, inp: a.h2.pointer, dinp: dh.pointer, N: N, grads: g, lora: lora)
            linearBackward(.up, layer: l, dout: dup.pointer, inp: a.h2.pointer, dinp: dh.pointer, N: N, grads: g, lora: lora)
            dmid.pointer.update(from: dx.pointer, count: N * C)
            RMSNorm.backward(dinp: dmid.pointer, dweight: g.map { $0.ffnNorm.pointer + l * C }, dout: dh.pointer, inp: a.xmid.pointer, weight: p.ffnNorm.pointer + l * C, rstd: a.rstd2.pointer, N: N, C: C)
            linearBackward(.o, layer: l, dout: dmid.pointer, inp: a.y.pointer, dinp: dy.pointer, N: N, grads: g, lora: lora)
            zero(dqkv, count: B * T * 3 * C)
            if let paddedY { rows.scatter(dy.pointer, into: paddedY.pointer, rows: B * T, width: C) }
            Attention.backward(dqkv: dqkv.pointer, datt: datt.pointer, dout: paddedY?.pointer ?? dy.pointer, qkv: a.qkv.pointer, att: a.att.pointer,
                               scratch: nil, B: B, T: T, C: C, NH: NH, prefix: table?.attention(layer: l, group: group))
            // Q's gradient in place; the repeated K and V heads summed back onto their shared head.
            zero(dk, dv, count: N * KV)
            for r in 0..<N {
                let row = dqkv.pointer + rows.row(r) * 3 * C
                (q.pointer + r * C).update(from: row, count: C)
                for head in 0..<NH {
                    let target = r * KV + (head / group) * hs
                    for i in 0..<hs {
                        dk.pointer[target + i] += row[C + head * hs + i]
                        dv.pointer[target + i] += row[2 * C + head * hs + i]
                    }
                }
            }
            RoPE.apply(q.pointer, positions: positions, cos: cos, sin: sin, rows: N, heads: NH, hs: hs, stride: C, inverse: true)
            RoPE.apply(dk.pointer, positions: positions, cos: cos, sin: sin, rows: N, heads: c.numKVHeads, hs: hs, stride: KV, inverse: true)
            zero(dh, count: N * C)
            linearBackward(.q, layer: l, dout: q.pointer, inp: a.h1.pointer, dinp: dh.pointer, N: N, grads: g, lora: lora)
            linearBackward(.k, layer: l, dout: dk.pointer, inp: a.h1.pointer, dinp: dh.pointer, N: N, grads: g, lora: lora)
            linearBackward(.v, layer: l, dout: dv.pointer, inp: a.h1.pointer, dinp: dh.pointer, N: N, grads: g, lora: lora)
            dx.pointer.update(from: dmid.pointer, count: N * C)
            RMSNorm.backward(dinp: dx.pointer, dweight: g.map { $0.attnNorm.pointer + l * C }, dout: dh.pointer, inp: a.x.pointer, weight: p.attnNorm.pointer + l * C, rstd: a.rstd1.pointer, N: N, C: C)
        }
        table?.finish()
        for (r, id) in ids.enumerated() where g != nil {
            let row = g!.wte.pointer + Int(id) * C, d = dx.pointer + r * C
            for i in 0..<C { row[i] += d[i] }
        }
        return loss
    }
}
