import Tensor
import Testing

/// One-row products (decode steps) take `sgemv`; they must agree with the definition for both
/// layouts of B, with alpha and beta.
@Suite struct BLASTests {
    @Test(arguments: [false, true]) func oneRowMatchesTheDefinition(transposeB: Bool) {
        let N = 37, K = 19, ldb = transposeB ? K + 3 : N + 2
        var rng = TestRandom(5)
        let a = Buffer(random: K, &rng), b = Buffer(random: (transposeB ? N : K) * ldb, &rng), c = Buffer(random: N, &rng)
        let before = c.array
        BLAS.sgemm(transposeA: false, transposeB: transposeB, M: 1, N: N, K: K, alpha: 0.5, A: a.pointer, lda: K,
                   B: b.pointer, ldb: ldb, beta: 2, C: c.pointer, ldc: N)
        for n in 0..<N {
            var sum = 0.0
            for k in 0..<K { sum += Double(a[k]) * Double(transposeB ? b[n * ldb + k] : b[k * ldb + n]) }
            #expect(abs(Double(c[n]) - (0.5 * sum + 2 * Double(before[n]))) < 1e-5, "column \(n)")
        }
    }
}
