import Tensor

extension Bert {
    /// The backward pass of the last forward's classification loss (scaled by `dloss`; use
    /// 1/k to accumulate k micro-batches): the forward's op list in reverse. Gradients
    /// accumulate into `grads`; call `zeroGradients()` before the first micro-batch.
    public func backward(dloss: Float = 1) throws(BatchError) {
        guard let batch, !batch.labels.isEmpty, config.numLabels > 0 else { throw .noLabels }
        guard var d = dacts, let g = gradients else { preconditionFailure("Bert: backward on an inference model") }
        let c = config, p = parameters, a = acts
        let rows = self.rows!, packed = rows.padded != nil
        // N: the rows the row-wise steps run on (the real tokens when packed, `PackedRows`).
        let B = batch.B, T = batch.T, N = rows.count, C = c.hiddenSize, NH = c.numHeads, FF = c.intermediateSize, NL = c.numLabels
        let hp: Float = training ? c.hiddenDropout : 0, ap: Float = training ? c.attentionDropout : 0
        let P = prefix?.virtualTokens ?? 0
        let pad = packed ? paddedScratch(B * T * 7 * C) : a.emb  // the forward's padded layout (unused unpacked)
        func zero(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) { pointer.update(repeating: 0, count: count) }
        // Frozen base (LoRA): no weight gradients for it; the ops that always accumulate theirs
        // (LayerNorm, the pooler) write into a sink.
        let sink = UnsafeMutablePointer<Float>.allocate(capacity: frozen ? C * C + C : 1)
        defer { sink.deallocate() }
        func base(_ pointer: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float>? { frozen ? nil : pointer }
        func always(_ pointer: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> { frozen ? sink : pointer }

        zero(d.dlogits, B * NL)
        batch.labels.withUnsafeBufferPointer { labels in
            CrossEntropy.backward(dlogits: d.dlogits, probs: a.probs, targets: labels.baseAddress!, N: B, V: NL, dloss: dloss)
        }
        zero(d.dpooledDropped, B * C)
        Matmul.backward(dinp: d.dpooledDropped, dweight: g.clsw.pointer, dbias: g.clsb.pointer, dout: d.dlogits, inp: a.pooledDropped, weight: p.clsw.pointer, N: B, C: C, OC: NL)
        zero(d.dpooled, B * C)
        Dropout.backward(dinp: d.dpooled, dout: d.dpooledDropped, N: B * C, p: hp, seed: dropoutSeed(1 + 3 * c.numLayers))
        zero(d.dout, N * C)
        let last = a.ln2 + (c.numLayers - 1) * N * C
        Pooler.backward(dinp: d.dout, dweight: always(g.poolw.pointer), dbias: frozen ? sink + C * C : g.poolb.pointer, dpre: d.dpre, dout: d.dpooled,
                        out: a.pooled, inp: firstTokenOnly ? last : a.firstRows, weight: p.poolw.pointer, B: B, T: 1, C: C)
        if !firstTokenOnly { spreadFirstRows(d.dout, starts: rows.starts, C: C) }

        for l in (0..<c.numLayers).reversed() {
            let inp = l == 0 ? a.x0 : a.ln2 + (l - 1) * N * C
            let qkv = a.qkv + l * N * 3 * C, att = a.att + l * B * NH * T * (P + T)
            let atty = a.atty + l * N * C, res1 = a.res1 + l * N * C, ln1 = a.ln1 + l * N * C
            let fch = a.fch + l * N * FF, res2 = a.res2 + l * N * C
            // Above attention, `n` rows: all N, or the first token's B (firstTokenOnly's last layer).
            let firstOnly = firstTokenOnly && l == c.numLayers - 1, n = firstOnly ? B : N
            for buffer in [d.dx, d.dln1, d.ddrop] { zero(buffer, N * C) }
            zero(d.dqkv, N * 3 * C)
            zero(d.dfchGelu, N * FF)
            ResidualLayerNorm.backward(dinp1: d.ddrop, dinp2: d.dln1, dweight: always(g.ln2w[l].pointer), dbias: always(g.ln2b[l].pointer), dres: d.dres2, dout: d.dout, res: res2, weight: p.ln2w[l].pointer, mean: a.ln2Mean + l * N, rstd: a.ln2Rstd + l * N, N: n, C: C)
            if hp > 0 { Dropout.forward(out: d.ddrop, inp: d.ddrop, N: n * C, p: hp, seed: dropoutSeed(3 + 3 * l)) }
            GELU.forwardWithSlope(out: a.fchGelu, slope: d.dfch, inp: fch, N: n * FF)
            Matmul.backward(dinp: d.dfchGelu, dweight: base(g.fcprojw[l].pointer), dbias: base(g.fcprojb[l].pointer), dout: d.ddrop, inp: a.fchGelu, weight: p.fcprojw[l].pointer, N: n, C: FF, OC: C)
            lora?.backward(BertModule.output.rawValue, layer: l, dout: d.ddrop, inp: a.fchGelu, dinp: d.dfchGelu, N: n, input: FF, output: C)
            GELU.multiply(slope: d.dfch, dout: d.dfchGelu, N: n * FF)
            Matmul.backward(dinp: d.dln1, dweight: base(g.fcw[l].pointer), dbias: base(g.fcb[l].pointer), dout: d.dfch, inp: ln1, weight: p.fcw[l].pointer, N: n, C: C, OC: FF)
            lora?.backward(BertModule.intermediate.rawValue, layer: l, dout: d.dfch, inp: ln1, dinp: d.dln1, N: n, input: C, output: FF)
            zero(d.ddrop, N * C)
            ResidualLayerNorm.backward(dinp1: d.ddrop, dinp2: d.dx, dweight: always(g.ln1w[l].pointer), dbias: always(g.ln1b[l].pointer), dres: d.dres1, dout: d.dln1, res: res1, weight: p.ln1w[l].pointer, mean: a.ln1Mean + l * N, rstd: a.ln1Rstd + l * N, N: n, C: C)
            if firstOnly { spreadFirstRows(d.dx, starts: rows.starts, C: C) }
            if hp > 0 { Dropout.forward(out: d.ddrop, inp: d.ddrop, N: n * C, p: hp, seed: dropoutSeed(2 + 3 * l)) }
            zero(d.datty, N * C)  // shares dres1's memory
            Matmul.backward(dinp: d.datty, dweight: base(g.attprojw[l].pointer), dbias: base(g.attprojb[l].pointer), dout: d.ddrop, inp: atty, weight: p.attprojw[l].pointer, N: n, C: C, OC: C)
            lora?.backward(BertModule.attentionOutput.rawValue, layer: l, dout: d.ddrop, inp: atty, dinp: d.datty, N: n, input: C, output: C)
            let seed = dropoutSeed(1 + 3 * l)
            // In the padded layout when packed: Q|K|V, their gradient, and the output's gradient
            // (firstTokenOnly's B rows are already in place).
            let paddedQKV = pad, paddedDQKV = pad + B * T * 3 * C, paddedDout = pad + B * T * 6 * C
            rows.scatter(qkv, into: paddedQKV, rows: B * T, width: 3 * C)
            if packed { zero(paddedDQKV, B * T * 3 * C) }
            if !firstOnly { rows.scatter(d.datty, into: paddedDout, rows: B * T, width: C) }
            Attention.backward(dqkv: packed ? paddedDQKV : d.dqkv, datt: d.datt, dout: packed && !firstOnly ? paddedDout : d.datty,
                               qkv: packed ? paddedQKV : qkv, att: att, scratch: a.attScratch, B: B, T: T, C: C, NH: NH,
                               queries: firstOnly ? 1 : nil, dropout: ap, seed: seed, prefix: prefixPass?.attention(layer: l))
            rows.gather(paddedDQKV, into: d.dqkv, width: 3 * C)
            Matmul.backward(dinp: d.dx, dweight: base(g.qkvw[l].pointer), dbias: base(g.qkvb[l].pointer), dout: d.dqkv, inp: inp, weight: p.qkvw[l].pointer, N: N, C: C, OC: 3 * C)
            if let lora { loraQKVBackward(lora, layer: l, dqkv: d.dqkv, inp: inp, dinp: d.dx, N: N) }
            swap(&d.dx, &d.dout)
        }
        prefixPass?.finish()
        // d.dout now holds the gradient of the layer-0 input: nothing below trains when frozen.
        if frozen {
            dacts = d
            return
        }
        if hp > 0 { Dropout.forward(out: d.dout, inp: d.dout, N: N * C, p: hp, seed: dropoutSeed(0)) }
        zero(d.dres1, N * C)
        LayerNorm.backward(dinp: d.dres1, dweight: g.embLNw.pointer, dbias: g.embLNb.pointer, dout: d.dout, inp: a.emb, weight: p.embLNw.pointer, mean: a.embMean, rstd: a.embRstd, N: N, C: C)
        rows.scatter(d.dres1, into: pad, rows: B * T, width: C)
        batch.ids.withUnsafeBufferPointer { ids in
            batch.types.withUnsafeBufferPointer { types in
                Embeddings.backward(dwte: g.wte.pointer, dwpe: g.wpe.pointer, dwtt: g.wtt.pointer, dout: packed ? pad : d.dres1,
                                    inp: ids.baseAddress!, types: types.baseAddress!, B: B, T: T, C: C)
            }
        }
        dacts = d
    }

    /// Moves rows 0..<B of `x` (B, C) to each sequence's first row `starts[b]` of the full
    /// layout, zeroing the rest: the gradient of what only the first tokens fed (the pooler, or
    /// firstTokenOnly's last layer). From the last row down, so no row is overwritten before it
    /// moves (`starts` increases, with starts[b] ≥ b).
    func spreadFirstRows(_ x: UnsafeMutablePointer<Float>, starts: [Int], C: Int) {
        for b in stride(from: starts.count - 1, through: 1, by: -1) where starts[b] != b {
            (x + starts[b] * C).update(from: x + b * C, count: C)
            (x + b * C).update(repeating: 0, count: C)
        }
    }
}
