import Tensor

/// Activations saved by the forward pass for backward, sized for the model's maximum (B, T)
/// at creation. Per-layer tensors are stacked (L, …) and sliced with the batch's actual rows:
/// N = B·T, or the M real tokens of a padding-free batch (`PackedRows`); NL: labels. Without training (`stacked` false) every layer reuses the first
/// layer's slot (L = 1 in the shapes below), since nothing is kept for backward.
public struct BertActivations: @unchecked Sendable {
    let arena: Arena
    /// 1 when each layer has its own slot, 0 when all share slot 0 (inference).
    let layerStep: Int
    let emb: UnsafeMutablePointer<Float>        // (B, T, C) embedding sum, before LayerNorm
    let embMean: UnsafeMutablePointer<Float>    // (B, T)
    let embRstd: UnsafeMutablePointer<Float>    // (B, T)
    let x0: UnsafeMutablePointer<Float>         // (B, T, C) layer 0 input (LayerNorm, then dropout)
    let qkv: UnsafeMutablePointer<Float>        // (L, B, T, 3C)
    let att: UnsafeMutablePointer<Float>        // (L, B, NH, T, S) attention probabilities, S = P + T keys (P: prefix slots)
    let attScratch: UnsafeMutablePointer<Float> // (Parallel.maxThreads, T, S) per-thread attention after dropout
    let atty: UnsafeMutablePointer<Float>       // (L, B, T, C) attention output, heads side by side
    let res1: UnsafeMutablePointer<Float>       // (L, B, T, C) projection (dropped out) + layer input
    let ln1: UnsafeMutablePointer<Float>        // (L, B, T, C)
    let ln1Mean: UnsafeMutablePointer<Float>    // (L, B, T)
    let ln1Rstd: UnsafeMutablePointer<Float>    // (L, B, T)
    let fch: UnsafeMutablePointer<Float>        // (L, B, T, FF) before GELU
    let fchGelu: UnsafeMutablePointer<Float>    // (B, T, FF) current layer after GELU (recomputed)
    let res2: UnsafeMutablePointer<Float>       // (L, B, T, C) FFN output (dropped out) + ln1
    let ln2: UnsafeMutablePointer<Float>        // (L, B, T, C) layer outputs; the last is the hidden state (B rows with firstTokenOnly)
    let ln2Mean: UnsafeMutablePointer<Float>    // (L, B, T)
    let ln2Rstd: UnsafeMutablePointer<Float>    // (L, B, T)
    let pooled: UnsafeMutablePointer<Float>     // (B, C) tanh pooler output
    let pooledDropped: UnsafeMutablePointer<Float> // (B, C) classifier input
    let logits: UnsafeMutablePointer<Float>     // (B, NL)
    let probs: UnsafeMutablePointer<Float>      // (B, NL)
    let losses: UnsafeMutablePointer<Float>     // (B)
    let sentence: UnsafeMutablePointer<Float>   // (B, C) mean-pooled sentence embeddings
    let firstRows: UnsafeMutablePointer<Float>  // (B, C) the last layer's input at the first token (firstTokenOnly), or its output

    /// `P`: the most prefix slots attention sees besides the T tokens (prefix tuning).
    init(config c: BertConfig, B: Int, T: Int, P: Int = 0, stacked: Bool) {
        layerStep = stacked ? 1 : 0
        let C = c.hiddenSize, L = stacked ? c.numLayers : 1, NH = c.numHeads, FF = c.intermediateSize, NL = max(c.numLabels, 1)
        let N = B * T
        let sizes = [
            N * C, N, N, N * C,
            L * N * 3 * C, L * B * NH * T * (P + T), Parallel.maxThreads * T * (P + T), L * N * C, L * N * C,
            L * N * C, L * N, L * N, L * N * FF, N * FF, L * N * C, L * N * C, L * N, L * N,
            B * C, B * C, B * NL, B * NL, B, B * C, B * C,
        ]
        arena = Arena(count: sizes.reduce(0, +))
        let pointers = arena.slices(sizes.map { [$0] }).map(\.pointer)
        (emb, embMean, embRstd, x0) = (pointers[0], pointers[1], pointers[2], pointers[3])
        (qkv, att, attScratch, atty, res1) = (pointers[4], pointers[5], pointers[6], pointers[7], pointers[8])
        (ln1, ln1Mean, ln1Rstd, fch, fchGelu) = (pointers[9], pointers[10], pointers[11], pointers[12], pointers[13])
        (res2, ln2, ln2Mean, ln2Rstd) = (pointers[14], pointers[15], pointers[16], pointers[17])
        (pooled, pooledDropped, logits, probs, losses, sentence) = (pointers[18], pointers[19], pointers[20], pointers[21], pointers[22], pointers[23])
        firstRows = pointers[24]
    }
}
