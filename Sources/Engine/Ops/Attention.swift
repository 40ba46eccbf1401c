import Tensor

// Multi-head scaled dot-product attention over a fused QKV projection.
// B: batch, T: sequence length, C: channels, NH: heads, hs = C / NH.
// qkv: (B, T, 3C), each row Q | K | V with head h at columns h·hs..<(h+1)·hs of each part;
// mask: (B, T), 1 for a real token and 0 for padding (masks keys; nil attends to all);
// att: (B, NH, T, T) softmax probabilities; attDropped: (B, NH, T, T) after dropout, or nil
// when dropout is 0 (att is used); out: (B, T, C), heads side by side.
// `causal` also masks keys after the query (GPT-2). The softmax is fused with the masking.
public enum Attention {
    public static func forward(
        out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>, attDropped: UnsafeMutablePointer<Float>?,
        qkv: UnsafePointer<Float>, mask: UnsafePointer<Int32>?,
        B: Int, T: Int, C: Int, NH: Int, causal: Bool = false, dropout: Float = 0, seed: UInt64 = 0
    ) {
        precondition(C % NH == 0, "Attention: C must be a multiple of NH")
        precondition(dropout == 0 || attDropped != nil, "Attention: dropout needs attDropped")
        let hs = C / NH, C3 = 3 * C, TT = T * T
        let scale = 1 / Float(hs).squareRoot()
        for b in 0..<B {
            for h in 0..<NH {
                let q = qkv + b * T * C3 + h * hs
                BLAS.sgemm(
                    transposeA: false, transposeB: true, M: T, N: T, K: hs, alpha: scale,
                    A: q, lda: C3, B: q + C, ldb: C3, beta: 0, C: att + (b * NH + h) * TT, ldc: T)
            }
        }
        Parallel.forRanges(B * NH * T, grain: 64) { rows in
            for r in rows {
                let b = r / (NH * T), i = r % T
                let row = att + r * T
                for j in 0..<T where (mask != nil && mask![b * T + j] == 0) || (causal && j > i) {
                    row[j] = -.infinity
                }
                Softmax.row(row, row, T)
                if dropout > 0, let attDropped {
                    let dropped = attDropped + r * T
                    for j in 0..<T { dropped[j] = row[j] * Dropout.factor(seed: seed, index: r * T + j, p: dropout) }
                }
            }
        }
        let probabilities = dropout > 0 ? attDropped! : att
        for b in 0..<B {
            for h in 0..<NH {
                BLAS.sgemm(
                    transposeA: false, transposeB: false, M: T, N: hs, K: T,
                    A: probabilities + (b * NH + h) * TT, lda: T, B: qkv + b * T * C3 + 2 * C + h * hs, ldb: C3,
                    beta: 0, C: out + b * T * C + h * hs, ldc: C)
            }
        }
    }

    /// `datt` (B, NH, T, T) is scratch: overwritten, not accumulated. `dqkv` accumulates.
    public static func backward(
        dqkv: UnsafeMutablePointer<Float>, datt: UnsafeMutablePointer<Float>,
        dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
        att: UnsafePointer<Float>, attDropped: UnsafePointer<Float>?,
        B: Int, T: Int, C: Int, NH: Int, dropout: Float = 0, seed: UInt64 = 0
    ) {
        let hs = C / NH, C3 = 3 * C, TT = T * T
        let scale = 1 / Float(hs).squareRoot()
        let probabilities = dropout > 0 ? attDropped! : att
        for b in 0..<B {
            for h in 0..<NH {
                let base = b * T * C3 + h * hs
                let d = dout + b * T * C + h * hs
                let block = (b * NH + h) * TT
                BLAS.sgemm(
                    transposeA: false, transposeB: true, M: T, N: T, K: hs,
                    A: d, lda: C, B: qkv + base + 2 * C, ldb: C3, beta: 0, C: datt + block, ldc: T)
                BLAS.sgemm(
                    transposeA: true, transposeB: false, M: T, N: hs, K: T,
                    A: probabilities + block, lda: T, B: d, ldb: C, beta: 1, C: dqkv + base + 2 * C, ldc: C3)
            }
        }
        Parallel.forRanges(B * NH * T, grain: 64) { rows in
            for r in rows {
                let drow = datt + r * T, p = att + r * T
                if dropout > 0 {
                    for j in 0..<T { drow[j] *= Dropout.factor(seed: seed, index: r * T + j, p: dropout) }
                }
                var dot: Float = 0
                for j in 0..<T { dot += p[j] * drow[j] }
                for j in 0..<T { drow[j] = p[j] * (drow[j] - dot) }
            }
        }
        for b in 0..<B {
            for h in 0..<NH {
                let base = b * T * C3 + h * hs
                let block = (b * NH + h) * TT
                BLAS.sgemm(
                    transposeA: false, transposeB: false, M: T, N: hs, K: T, alpha: scale,
                    A: datt + block, lda: T, B: qkv + base + C, ldb: C3, beta: 1, C: dqkv + base, ldc: C3)
                BLAS.sgemm(
                    transposeA: true, transposeB: false, M: T, N: hs, K: T, alpha: scale,
                    A: datt + block, lda: T, B: qkv + base, ldb: C3, beta: 1, C: dqkv + base + C, ldc: C3)
            }
        }
    }
}
