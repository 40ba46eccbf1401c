import Tensor

/// GEMMs for the ops, spread over the Parallel team by blocks of rows of C, each block a
/// single-threaded OpenBLAS call. Only the engine's own threads run, so OpenBLAS's spinning
/// workers never compete with the element-wise ops for the cores; a block's result does not
/// depend on how many blocks there are.
public enum Gemm {
    /// When false, GEMMs go to OpenBLAS whole, with OpenBLAS's own threads (set with
    /// `BLAS.setThreads`); for comparisons in benchmarks.
    nonisolated(unsafe) public static var splitOverTeam = true

    static func run(
        transposeA: Bool, transposeB: Bool, M: Int, N: Int, K: Int, alpha: Float = 1,
        A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int,
        beta: Float, C: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if splitOverTeam { _ = Parallel.oneBLASThread }
        let rowsSplit = M >= 128, columnsSplit = !rowsSplit && N >= 256
        guard splitOverTeam, Parallel.threads > 1, rowsSplit || columnsSplit else {
            BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, M: M, N: N, K: K, alpha: alpha, A: A, lda: lda, B: B, ldb: ldb, beta: beta, C: C, ldc: ldc)
            return
        }
        BLAS.singleThreaded(flops: 2 * Double(M) * Double(N) * Double(K)) {
            if rowsSplit {
                Parallel.forRanges(M, grain: 64) { rows in
                    let a = transposeA ? A + rows.lowerBound : A + rows.lowerBound * lda
                    BLAS.sgemm(
                        transposeA: transposeA, transposeB: transposeB, M: rows.count, N: N, K: K, alpha: alpha,
                        A: a, lda: lda, B: B, ldb: ldb, beta: beta, C: C + rows.lowerBound * ldc, ldc: ldc)
                }
            } else {
                // Few rows (small batches at inference): split the columns of C instead.
                Parallel.forRanges(N, grain: 128) { columns in
                    let b = transposeB ? B + columns.lowerBound * ldb : B + columns.lowerBound
                    BLAS.sgemm(
                        transposeA: transposeA, transposeB: transposeB, M: M, N: columns.count, K: K, alpha: alpha,
                        A: A, lda: lda, B: b, ldb: ldb, beta: beta, C: C + columns.lowerBound, ldc: ldc)
                }
            }
        }
    }
}
