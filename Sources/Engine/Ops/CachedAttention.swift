import Tensor

// Attention of n new positions against a key/value cache, for incremental decoding.
// q: (n, qStride), head h at columns h·hs; keys, values: (total, kvStride) for positions
// 0..<total, the new ones last (from start = total − n); query head h reads key/value head
// h / group (grouped-query attention; group 1 is ordinary multi-head). out: (n, outStride),
// head h at columns h·hs. Each new position attends to the cache up to and including itself.
public enum CachedAttention {
    public static func forward(
        out: UnsafeMutablePointer<Float>, outStride: Int, q: UnsafePointer<Float>, qStride: Int,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, kvStride: Int,
        n: Int, total: Int, heads: Int, group: Int, hs: Int
    ) {
        let start = total - n, scale = 1 / Float(hs).squareRoot()
        BLAS.singleThreaded(flops: 4 * Double(heads * n * total * hs)) {
            Parallel.forParts(heads) { _, block in
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: n * total)
                defer { scores.deallocate() }
                for head in block {
                    let kv = (head / group) * hs
                    BLAS.sgemm(transposeA: false, transposeB: true, M: n, N: total, K: hs, alpha: scale,
                               A: q + head * hs, lda: qStride, B: keys + kv, ldb: kvStride, beta: 0, C: scores, ldc: total)
                    for i in 0..<n {
                        let row = scores + i * total
                        for j in (start + i + 1)..<max(total, start + i + 1) { row[j] = -.infinity }
                        Softmax.row(row, row, total)
                    }
                    BLAS.sgemm(transposeA: false, transposeB: false, M: n, N: hs, K: total,
                               A: scores, lda: total, B: values + kv, ldb: kvStride, beta: 0, C: out + head * hs, ldc: outStride)
                }
            }
        }
    }
}
