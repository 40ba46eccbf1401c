import COpenBLAS

/// Row-major single-precision GEMM over OpenBLAS, and its thread count.
///
/// `sgemm` computes `C = alpha * op(A) * op(B) + beta * C` with `op(A)` of shape (M, K),
/// `op(B)` of shape (K, N) and `C` of shape (M, N); leading dimensions are row strides in
/// floats. Backward passes accumulate with `beta = 1`.
public enum BLAS {
    /// Floating-point operations issued through `sgemm` since the last `resetCounters()`
    /// (2·M·N·K each); benchmarks report GFLOP/s from it.
    nonisolated(unsafe) public static var flops: Double = 0

    /// Nanoseconds spent in `sgemm` since the last `resetCounters()`, counted only while
    /// `clock` is set (Tensor has no clock of its own; benchmarks pass one in).
    nonisolated(unsafe) public static var nanoseconds: UInt64 = 0
    nonisolated(unsafe) public static var clock: (@Sendable () -> UInt64)?

    public static func resetCounters() {
        flops = 0
        nanoseconds = 0
    }

    /// The number of threads OpenBLAS uses. The corresponding C function is `openblas_get_num_threads`.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets OpenBLAS's thread count explicitly (results depend on it only through GEMM's
    /// blocking, so fix it for bit-identical runs). The corresponding C function is `openblas_set_num_threads`.
    public static func setThreads(_ count: Int) {
        precondition(count >= 1, "BLAS: thread count must be at least 1")
        openblas_set_num_threads(Int32(count))
    }

    /// Runs `body` with OpenBLAS on one thread, for callers that spread many small GEMMs over
    /// their own threads (attention heads), then restores the previous count.
    /// The counters then take `flops` and the whole region's time (GEMMs and whatever the
    /// caller fuses between them), since per-call counting from several threads would race.
    public static func singleThreaded<T>(flops regionFlops: Double, _ body: () throws -> T) rethrows -> T {
        let start = clock?() ?? 0
        let previous = openblas_get_num_threads()
        counting = false
        if previous != 1 { openblas_set_num_threads(1) }
        defer {
            if previous != 1 { openblas_set_num_threads(previous) }
            counting = true
            flops += regionFlops
            if let clock { nanoseconds += clock() - start }
        }
        return try body()
    }

    nonisolated(unsafe) private static var counting = true

    public static func sgemm(
        transposeA: Bool, transposeB: Bool, M: Int, N: Int, K: Int,
        alpha: Float = 1, A: UnsafePointer<Float>, lda: Int,
        B: UnsafePointer<Float>, ldb: Int,
        beta: Float, C: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(M >= 0 && N >= 0 && K >= 0, "sgemm: negative dimension")
        precondition(lda >= (transposeA ? M : K) && ldb >= (transposeB ? K : N) && ldc >= N, "sgemm: leading dimension too small")
        if M == 0 || N == 0 { return }
        guard counting, let clock else {
            call(transposeA, transposeB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
            return
        }
        flops += 2 * Double(M) * Double(N) * Double(K)
        let start = clock()
        defer { nanoseconds += clock() - start }
        call(transposeA, transposeB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
    }

    /// One row of A (decoding a token) goes to `cblas_sgemv`, which streams B once instead of
    /// packing it first as `cblas_sgemm` does: the difference is most of a decode step.
    private static func call(
        _ transposeA: Bool, _ transposeB: Bool, _ M: Int, _ N: Int, _ K: Int, _ alpha: Float,
        _ A: UnsafePointer<Float>, _ lda: Int, _ B: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ C: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        if M == 1 && !transposeA {
            // C[n] = Σ_k A[k] · op(B)[k, n]: B as stored is (N, K) when transposed, else (K, N).
            cblas_sgemv(CblasRowMajor, transposeB ? CblasNoTrans : CblasTrans, Int32(transposeB ? N : K), Int32(transposeB ? K : N),
                        alpha, B, Int32(ldb), A, 1, beta, C, 1)
            return
        }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(M), Int32(N), Int32(K), alpha, A, Int32(lda), B, Int32(ldb), beta, C, Int32(ldc))
    }
}
