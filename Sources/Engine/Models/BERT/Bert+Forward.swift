import Tensor

extension Bert {
    /// The forward pass: embeddings, L post-LayerNorm encoder layers, pooler, mean pooling (not
    /// with `firstTokenOnly`) and, with a head, logits and (with labels) the mean cross-entropy
    /// in `loss`. With `paddingFree`, the row-wise steps run on the real tokens alone (`PackedRows`).
    public func forward(_ batch: BertBatch) throws(BatchError) {
        try check(batch)
        self.batch = batch
        let c = config, p = parameters, a = acts
        let rows = PackedRows(mask: batch.mask, B: batch.B, T: batch.T, packing: paddingFree), packed = rows.padded != nil
        self.rows = rows
        // N: the rows the row-wise steps run on (the real tokens when packed).
        let B = batch.B, T = batch.T, N = rows.count, C = c.hiddenSize, NH = c.numHeads, FF = c.intermediateSize
        // The padded layout's scratch (4C a padded row, 7C when backward follows); unused unpacked.
        let pad = packed ? paddedScratch(B * T * (grads != nil ? 7 : 4) * C) : a.emb
        let hp: Float = training ? c.hiddenDropout : 0, ap: Float = training ? c.attentionDropout : 0
        let P = prefix?.virtualTokens ?? 0
        precondition(P <= prefixSlots && (prefix == nil || !training || frozen), "Bert: a prefix beyond prefixSlots, or on a base that trains")
        prefixPass = prefix?.pass(training: grads != nil && prefix?.grads.count == prefix?.params.count)
        batch.ids.withUnsafeBufferPointer { ids in
            batch.types.withUnsafeBufferPointer { types in
                Embeddings.forward(out: packed ? pad : a.emb, inp: ids.baseAddress!, types: types.baseAddress!, wte: p.wte.pointer,
                                   wpe: p.wpe.pointer, wtt: p.wtt.pointer, B: B, T: T, C: C, firstPosition: P)
            }
        }
        rows.gather(pad, into: a.emb, width: C)
        LayerNorm.forward(out: a.x0, mean: a.embMean, rstd: a.embRstd, inp: a.emb, weight: p.embLNw.pointer, bias: p.embLNb.pointer, N: N, C: C, eps: c.layerNormEps)
        if hp > 0 { Dropout.forward(out: a.x0, inp: a.x0, N: N * C, p: hp, seed: dropoutSeed(0)) }
        batch.mask.withUnsafeBufferPointer { maskBuffer in
            let mask = maskBuffer.baseAddress!
            for layer in 0..<c.numLayers {
                // In inference every layer uses slot 0: a layer reads its input (the previous
                // ln2) for the last time in the first residual, before it writes its own ln2.
                let l = layer * a.layerStep
                let inp = layer == 0 ? a.x0 : a.ln2 + (layer - 1) * a.layerStep * N * C
                let qkv = a.qkv + l * N * 3 * C, att = a.att + l * B * NH * T * (P + T)
                let atty = a.atty + l * N * C, res1 = a.res1 + l * N * C, ln1 = a.ln1 + l * N * C
                let fch = a.fch + l * N * FF, res2 = a.res2 + l * N * C, ln2 = a.ln2 + l * N * C
                let weights = self.packed?[layer]
                dense(weights?.qkv, out: qkv, inp: inp, weight: p.qkvw[layer].pointer, bias: p.qkvb[layer].pointer, N: N, C: C, OC: 3 * C)
                if let lora { loraQKV(lora, layer: layer, inp: inp, qkv: qkv, N: N) }
                // After attention, `n` rows go on: all N, or the first token's B (firstTokenOnly).
                let firstOnly = firstTokenOnly && layer == c.numLayers - 1, n = firstOnly ? B : N
                // Attention runs in the padded layout: packed rows go there and come back
                // (firstTokenOnly's B output rows are already in place).
                rows.scatter(qkv, into: pad, rows: B * T, width: 3 * C)
                let paddedOut = packed && !firstOnly ? pad + B * T * 3 * C : atty
                Attention.forward(out: paddedOut, att: att, scratch: a.attScratch, qkv: packed ? pad : qkv, mask: mask, B: B, T: T, C: C, NH: NH,
                                  queries: firstOnly ? 1 : nil, dropout: ap, seed: dropoutSeed(1 + 3 * layer), prefix: prefixPass?.attention(layer: layer))
                if !firstOnly { rows.gather(paddedOut, into: atty, width: C) }
                var residual = inp
                if firstOnly {
                    for b in 0..<B { (a.firstRows + b * C).update(from: inp + rows.starts[b] * C, count: C) }
                    residual = a.firstRows
                }
                dense(weights?.attproj, out: res1, inp: atty, weight: p.attprojw[layer].pointer, bias: p.attprojb[layer].pointer, N: n, C: C, OC: C)
                lora?.forward(BertModule.attentionOutput.rawValue, layer: layer, inp: atty, out: res1, N: n, input: C, output: C)
                if hp > 0 { Dropout.forward(out: res1, inp: res1, N: n * C, p: hp, seed: dropoutSeed(2 + 3 * layer)) }
                ResidualLayerNorm.forward(res: res1, out: ln1, mean: a.ln1Mean + l * N, rstd: a.ln1Rstd + l * N, inp1: res1, inp2: residual, weight: p.ln1w[layer].pointer, bias: p.ln1b[layer].pointer, N: n, C: C, eps: c.layerNormEps)
                dense(weights?.fc, out: fch, inp: ln1, weight: p.fcw[layer].pointer, bias: nil, N: n, C: C, OC: FF)
                lora?.forward(BertModule.intermediate.rawValue, layer: layer, inp: ln1, out: fch, N: n, input: C, output: FF)
                GELU.forward(out: a.fchGelu, pre: fch, bias: p.fcb[layer].pointer, N: n, C: FF)
                dense(weights?.fcproj, out: res2, inp: a.fchGelu, weight: p.fcprojw[layer].pointer, bias: p.fcprojb[layer].pointer, N: n, C: FF, OC: C)
                lora?.forward(BertModule.output.rawValue, layer: layer, inp: a.fchGelu, out: res2, N: n, input: FF, output: C)
                if hp > 0 { Dropout.forward(out: res2, inp: res2, N: n * C, p: hp, seed: dropoutSeed(3 + 3 * layer)) }
                ResidualLayerNorm.forward(res: res2, out: ln2, mean: a.ln2Mean + l * N, rstd: a.ln2Rstd + l * N, inp1: res2, inp2: ln1, weight: p.ln2w[layer].pointer, bias: p.ln2b[layer].pointer, N: n, C: C, eps: c.layerNormEps)
            }
            // The pooler reads each sequence's first row: the last layer's B rows with
            // firstTokenOnly, else gathered into firstRows.
            let last = a.ln2 + (c.numLayers - 1) * a.layerStep * N * C
            if !firstTokenOnly { for b in 0..<B { (a.firstRows + b * C).update(from: last + rows.starts[b] * C, count: C) } }
            Pooler.forward(out: a.pooled, inp: firstTokenOnly ? last : a.firstRows, weight: p.poolw.pointer, bias: p.poolb.pointer, B: B, T: 1, C: C)
            if !firstTokenOnly {
                rows.scatter(last, into: pad, rows: B * T, width: C)
                MeanPooling.forward(out: a.sentence, inp: packed ? pad : last, mask: mask, B: B, T: T, C: C)
            }
        }
        guard c.numLabels > 0 else { return }
        Dropout.forward(out: a.pooledDropped, inp: a.pooled, N: B * C, p: hp, seed: dropoutSeed(1 + 3 * c.numLayers))
        Matmul.forward(out: a.logits, inp: a.pooledDropped, weight: p.clsw.pointer, bias: p.clsb.pointer, N: B, C: C, OC: c.numLabels)
        if !batch.labels.isEmpty {
            loss = batch.labels.withUnsafeBufferPointer { labels in
                CrossEntropy.forward(losses: a.losses, probs: a.probs, logits: a.logits, targets: labels.baseAddress!, N: B, V: c.numLabels)
            }
        }
    }
}
