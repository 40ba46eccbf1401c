import Tensor

// Multi-head scaled dot-product attention over a fused QKV projection.
// B: batch, T: sequence length, C: channels, NH: heads, hs = C / NH.
// qkv: (B, T, 3C), each row Q | K | V with head h at columns h·hs..<(h+1)·hs of each part;
// mask: (B, T), 1 for a real token and 0 for padding (masks keys; nil attends to all);
// att: (B, NH, Tq, T) softmax probabilities; scratch: (Parallel.maxThreads, Tq, T), where each
// thread puts a block's probabilities after dropout (never stored: backward recomputes them;
// nil when dropout is 0); out: (B, Tq, C), heads side by side.
// `queries` Tq (default T): only the first Tq positions of each sequence ask (all T are keys
// and values), so a classifier's last layer computes only the first token's row.
// `causal` also masks keys after the query (GPT-2). The softmax is fused with the masking.
// Each (batch row, head) block runs whole on one thread (its GEMMs single-threaded: BlockGemm
// for the products with untransposed operands, OpenBLAS for the others), so the Tq×T block
// stays in cache and results do not depend on the thread count.
public enum Attention {
    public static func forward(
        out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>?,
        qkv: UnsafePointer<Float>, mask: UnsafePointer<Int32>?,
        B: Int, T: Int, C: Int, NH: Int, queries: Int? = nil, causal: Bool = false, dropout: Float = 0, seed: UInt64 = 0
    ) {
        precondition(C % NH == 0, "Attention: C must be a multiple of NH")
        precondition(dropout == 0 || scratch != nil, "Attention: dropout needs scratch")
        let Tq = queries ?? T
        precondition(Tq >= 1 && Tq <= T && (!causal || Tq == T), "Attention: queries must be in 1...T (T when causal)")
        let hs = C / NH, C3 = 3 * C, TT = Tq * T  // TT: one block's scores
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
                        BLAS.sgemm(
                            transposeA: false, transposeB: true, M: Tq, N: T, K: hs, alpha: scale,
                            A: q, lda: C3, B: q + C, ldb: C3, beta: 0, C: scores, ldc: T)
                        for i in 0..<Tq {
                            let row = scores + i * T
                            if mask != nil { VectorMath.add(row, row, bias, T) }
                            if causal {
                                for j in (i + 1)..<max(T, i + 1) { row[j] = -.infinity }
                            }
                            Softmax.row(row, row, T)
                        }
                        let probabilities = dropout > 0 ? dropped(scratch! + part * TT, att, block, TT, dropout, seed) : scores
                        BlockGemm.multiply(
                            M: Tq, N: hs, K: T, alpha: 1, A: probabilities, lda: T, B: q + 2 * C, ldb: C3,
                            accumulate: false, C: out + b * Tq * C + h * hs, ldc: C)
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

    /// `datt` (B, NH, Tq, T) is scratch: overwritten, not accumulated. `dqkv` accumulates;
    /// `dout` is (B, Tq, C).
    public static func backward(
        dqkv: UnsafeMutablePointer<Float>, datt: UnsafeMutablePointer<Float>,
        dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
        att: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>?,
        B: Int, T: Int, C: Int, NH: Int, queries: Int? = nil, dropout: Float = 0, seed: UInt64 = 0
    ) {
        let Tq = queries ?? T
        precondition(Tq >= 1 && Tq <= T, "Attention: queries must be in 1...T")
        precondition(dropout == 0 || scratch != nil, "Attention: dropout needs scratch")
        let hs = C / NH, C3 = 3 * C, TT = Tq * T  // TT: one block's scores
        let scale = 1 / Float(hs).squareRoot()
        BLAS.singleThreaded(flops: 8 * Double(B * NH * TT * hs)) {
            Parallel.forParts(B * NH) { part, blocks in
                for block in blocks {
                    let b = block / NH, h = block % NH
                    let base = b * T * C3 + h * hs, d = dout + b * Tq * C + h * hs
                    let dscores = datt + block * TT, p = att + block * TT
                    let probabilities = dropout > 0 ? UnsafePointer(dropped(scratch! + part * TT, att, block, TT, dropout, seed)) : p
                    BLAS.sgemm(
                        transposeA: false, transposeB: true, M: Tq, N: T, K: hs,
                        A: d, lda: C, B: qkv + base + 2 * C, ldb: C3, beta: 0, C: dscores, ldc: T)
                    // Transposed operands go to OpenBLAS, which packs them; BlockGemm reads in place.
                    BLAS.sgemm(
                        transposeA: true, transposeB: false, M: T, N: hs, K: Tq,
                        A: probabilities, lda: T, B: d, ldb: C, beta: 1, C: dqkv + base + 2 * C, ldc: C3)
                    if dropout > 0 {
                        Dropout.apply(datt, datt, (block * TT)..<((block + 1) * TT), p: dropout, seed: seed, accumulate: false)
                    }
                    for i in 0..<Tq {
                        Softmax.rowBackward(dscores + i * T, dscores + i * T, p + i * T, T, accumulate: false)
                    }
                    BlockGemm.multiply(
                        M: Tq, N: hs, K: T, alpha: scale, A: dscores, lda: T, B: qkv + base + C, ldb: C3,
                        accumulate: true, C: dqkv + base, ldc: C3)
                    BLAS.sgemm(
                        transposeA: true, transposeB: false, M: T, N: hs, K: Tq, alpha: scale,
                        A: dscores, lda: T, B: qkv + base, ldb: C3, beta: 1, C: dqkv + base + C, ldc: C3)
                }
            }
        }
    }
}
