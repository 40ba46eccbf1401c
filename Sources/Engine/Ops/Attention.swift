import Tensor

// Multi-head scaled dot-product attention over a fused QKV projection.
// B: batch, T: sequence length, C: channels, NH: heads, hs = C / NH.
// qkv: (B, T, 3C), each row Q | K | V with head h at columns h·hs..<(h+1)·hs of each part;
// mask: (B, T), 1 for a real token and 0 for padding (masks keys; nil attends to all);
// att: (B, NH, Tq, S) softmax probabilities, S = P + T keys per query (P: the prefix's slots, 0
// without one, in the first P columns); scratch: (Parallel.maxThreads, Tq, S), where each
// thread puts a block's probabilities after dropout (never stored: backward recomputes them;
// nil when dropout is 0); out: (B, Tq, C), heads side by side.
// `queries` Tq (default T): only the first Tq positions of each sequence ask (all T are keys
// and values), so a classifier's last layer computes only the first token's row.
// `causal` also masks keys after the query (GPT-2). The softmax is fused with the masking.
// `prefix`: P keys and values before each sequence's own, seen by every query (prefix tuning).
// Each (batch row, head) block runs whole on one thread (its GEMMs single-threaded: BlockGemm
// for the products with untransposed operands, OpenBLAS for the others), so the Tq×T block
// stays in cache and results do not depend on the thread count.
public enum Attention {
    public static func forward(
        out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>?,
        qkv: UnsafePointer<Float>, mask: UnsafePointer<Int32>?,
        B: Int, T: Int, C: Int, NH: Int, queries: Int? = nil, causal: Bool = false, dropout: Float = 0, seed: UInt64 = 0,
        prefix: AttentionPrefix? = nil
    ) {
        precondition(C % NH == 0, "Attention: C must be a multiple of NH")
        precondition(dropout == 0 || scratch != nil, "Attention: dropout needs scratch")
        let Tq = queries ?? T
        precondition(Tq >= 1 && Tq <= T && (!causal || Tq == T), "Attention: queries must be in 1...T (T when causal)")
        let P = AttentionPrefix.count(prefix), S = P + T
        let hs = C / NH, C3 = 3 * C, TT = Tq * S  // TT: one block's scores
        let scale = 1 / Float(hs).squareRoot()
        BLAS.singleThreaded(flops: 4 * Double(B * NH * TT * hs)) {
            Parallel.forParts(B * NH) { part, blocks in
                // The mask as a row to add to each score row: 0 for a real key, −infinity for padding.
                withUnsafeTemporaryAllocation(of: Float.self, capacity: T) { buffer in
                    let bias = buffer.baseAddress!
                    var biasOf = -1
                    for block in blocks {
                        let b = block / NH, h = block % NH
                        let q = qkv + b * T * C3 + h * hs, scores = att + block * TT
                        if let mask, biasOf != b {
                            for j in 0..<T { bias[j] = mask[b * T + j] == 0 ? -.infinity : 0 }
                            biasOf = b
                        }
                        if let prefix {
                            BLAS.sgemm(
                                transposeA: false, transposeB: true, M: Tq, N: P, K: hs, alpha: scale,
                                A: q, lda: C3, B: prefix.keys + (h / prefix.group) * hs, ldb: prefix.stride, beta: 0, C: scores, ldc: S)
                        }
                        BLAS.sgemm(
                            transposeA: false, transposeB: true, M: Tq, N: T, K: hs, alpha: scale,
                            A: q, lda: C3, B: q + C, ldb: C3, beta: 0, C: scores + P, ldc: S)
                        for i in 0..<Tq {
                            let row = scores + i * S
                            if mask != nil { VectorMath.add(row + P, row + P, bias, T) }
                            if causal {
                                for j in (P + i + 1)..<max(S, P + i + 1) { row[j] = -.infinity }
                            }
                            Softmax.row(row, row, S)
                        }
                        let probabilities = dropout > 0 ? dropped(scratch! + part * TT, att, block, TT, dropout, seed) : scores
                        let o = out + b * Tq * C + h * hs
                        BlockGemm.multiply(
                            M: Tq, N: hs, K: T, alpha: 1, A: probabilities + P, lda: S, B: q + 2 * C, ldb: C3,
                            accumulate: false, C: o, ldc: C)
                        if let prefix {
                            BlockGemm.multiply(
                                M: Tq, N: hs, K: P, alpha: 1, A: probabilities, lda: S, B: prefix.values + (h / prefix.group) * hs,
                                ldb: prefix.stride, accumulate: true, C: o, ldc: C)
                        }
                    }
                }
            }
        }
    }

    /// Block `block` of `att` after dropout, in `slot` (the mask of the whole tensor's indices).
    @inline(__always)
    static func dropped(
        _ slot: UnsafeMutablePointer<Float>, _ att: UnsafePointer<Float>, _ block: Int, _ TT: Int, _ p: Float, _ seed: UInt64
    ) -> UnsafeMutablePointer<Float> {
        let shifted = slot - block * TT  // so that index i of the whole tensor lands at slot[i - block·TT]
        Dropout.apply(shifted, att, (block * TT)..<((block + 1) * TT), p: p, seed: seed, accumulate: false)
        return slot
    }

    /// `datt` (B, NH, Tq, S) is scratch: overwritten, not accumulated. `dqkv` accumulates, and
    /// so do the prefix's `dkeys` and `dvalues` when given; `dout` is (B, Tq, C).
    public static func backward(
        dqkv: UnsafeMutablePointer<Float>, datt: UnsafeMutablePointer<Float>,
        dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
        att: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>?,
        B: Int, T: Int, C: Int, NH: Int, queries: Int? = nil, dropout: Float = 0, seed: UInt64 = 0,
        prefix: AttentionPrefix? = nil
    ) {
        let Tq = queries ?? T
        precondition(Tq >= 1 && Tq <= T, "Attention: queries must be in 1...T")
        precondition(dropout == 0 || scratch != nil, "Attention: dropout needs scratch")
        let P = AttentionPrefix.count(prefix), S = P + T
        let hs = C / NH, C3 = 3 * C, TT = Tq * S  // TT: one block's scores
        let scale = 1 / Float(hs).squareRoot()
        // Each block's prefix key and value gradients (P, hs) apart, summed in block order
        // afterwards: blocks run on different threads.
        let blockPrefix = P > 0 && prefix?.dkeys != nil ? UnsafeMutablePointer<Float>.allocate(capacity: B * NH * 2 * P * hs) : nil
        defer { blockPrefix?.deallocate() }
        BLAS.singleThreaded(flops: 8 * Double(B * NH * TT * hs)) {
            Parallel.forParts(B * NH) { part, blocks in
                for block in blocks {
                    let b = block / NH, h = block % NH
                    let base = b * T * C3 + h * hs, d = dout + b * Tq * C + h * hs
                    let dscores = datt + block * TT, p = att + block * TT
                    let probabilities = dropout > 0 ? UnsafePointer(dropped(scratch! + part * TT, att, block, TT, dropout, seed)) : p
                    BLAS.sgemm(
                        transposeA: false, transposeB: true, M: Tq, N: T, K: hs,
                        A: d, lda: C, B: qkv + base + 2 * C, ldb: C3, beta: 0, C: dscores + P, ldc: S)
                    // Transposed operands go to OpenBLAS, which packs them; BlockGemm reads in place.
                    BLAS.sgemm(
                        transposeA: true, transposeB: false, M: T, N: hs, K: Tq,
                        A: probabilities + P, lda: S, B: d, ldb: C, beta: 1, C: dqkv + base + 2 * C, ldc: C3)
                    let prefixGrads = blockPrefix.map { $0 + block * 2 * P * hs }
                    if let prefix {
                        BLAS.sgemm(
                            transposeA: false, transposeB: true, M: Tq, N: P, K: hs,
                            A: d, lda: C, B: prefix.values + (h / prefix.group) * hs, ldb: prefix.stride, beta: 0, C: dscores, ldc: S)
                        if let prefixGrads {
                            BLAS.sgemm(
                                transposeA: true, transposeB: false, M: P, N: hs, K: Tq,
                                A: probabilities, lda: S, B: d, ldb: C, beta: 0, C: prefixGrads + P * hs, ldc: hs)
                        }
                    }
                    if dropout > 0 {
                        Dropout.apply(datt, datt, (block * TT)..<((block + 1) * TT), p: dropout, seed: seed, accumulate: false)
                    }
                    for i in 0..<Tq {
                        Softmax.rowBackward(dscores + i * S, dscores + i * S, p + i * S, S, accumulate: false)
                    }
                    BlockGemm.multiply(
                        M: Tq, N: hs, K: T, alpha: scale, A: dscores + P, lda: S, B: qkv + base + C, ldb: C3,
                        accumulate: true, C: dqkv + base, ldc: C3)
                    BLAS.sgemm(
                        transposeA: true, transposeB: false, M: T, N: hs, K: Tq, alpha: scale,
                        A: dscores + P, lda: S, B: qkv + base, ldb: C3, beta: 1, C: dqkv + base + C, ldc: C3)
                    if let prefix {
                        BlockGemm.multiply(
                            M: Tq, N: hs, K: P, alpha: scale, A: dscores, lda: S, B: prefix.keys + (h / prefix.group) * hs,
                            ldb: prefix.stride, accumulate: true, C: dqkv + base, ldc: C3)
                        if let prefixGrads {
                            BLAS.sgemm(
                                transposeA: true, transposeB: false, M: P, N: hs, K: Tq, alpha: scale,
                                A: dscores, lda: S, B: qkv + base, ldb: C3, beta: 0, C: prefixGrads, ldc: hs)
                        }
                    }
                }
            }
        }
        guard let prefix, let blockPrefix, let dkeys = prefix.dkeys, let dvalues = prefix.dvalues else { return }
        for block in 0..<(B * NH) {
            let column = (block % NH / prefix.group) * hs, grads = blockPrefix + block * 2 * P * hs
            for slot in 0..<P {
                VectorMath.add(dkeys + slot * prefix.stride + column, dkeys + slot * prefix.stride + column, grads + slot * hs, hs)
                VectorMath.add(dvalues + slot * prefix.stride + column, dvalues + slot * prefix.stride + column, grads + (P + slot) * hs, hs)
            }
        }
    }
}
