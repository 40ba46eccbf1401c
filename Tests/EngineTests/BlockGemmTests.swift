import Engine
import Testing

/// BlockGemm's register tiles (6×16, 6×8, single columns, leftover rows) against the definition
/// in double precision, on shapes that reach every path, with strided operands, alpha and
/// accumulation.
@Suite struct BlockGemmTests {
    @Test(arguments: [(12, 32, 32), (13, 27, 9), (6, 16, 1), (5, 7, 40), (128, 32, 128), (1, 1, 1)])
    func tilesMatchTheDefinition(shape: (Int, Int, Int)) {
        let (M, N, K) = shape
        let lda = K + 3, ldb = N + 5, ldc = N + 2
        var rng = TestRandom(11)
        let a = Buffer(random: M * lda, &rng), b = Buffer(random: K * ldb, &rng)
        for accumulate in [false, true] {
            let c = Buffer(random: M * ldc, &rng)
            let before = c.array
            BlockGemm.tiles(M: M, N: N, K: K, alpha: 0.75, A: a.pointer, lda: lda, B: b.pointer, ldb: ldb,
                            accumulate: accumulate, C: c.pointer, ldc: ldc)
            var worst = 0.0
            for i in 0..<M {
                for j in 0..<N {
                    var sum = 0.0
                    for k in 0..<K { sum += Double(a[i * lda + k]) * Double(b[k * ldb + j]) }
                    let expected = 0.75 * sum + (accumulate ? Double(before[i * ldc + j]) : 0)
                    worst = max(worst, abs(Double(c[i * ldc + j]) - expected))
                }
                // The gap between rows of C is left alone.
                for j in N..<ldc { #expect(c[i * ldc + j] == before[i * ldc + j]) }
            }
            #expect(worst < 1e-5 * Double(max(K, 1)), "M=\(M) N=\(N) K=\(K) accumulate=\(accumulate): \(worst)")
        }
    }

    @Test("An element's value does not depend on the tile it falls in")
    func tilingDoesNotChangeBits() {
        let K = 50
        var rng = TestRandom(3)
        let a = Buffer(random: 13 * K, &rng), b = Buffer(random: K * 27, &rng)
        let whole = Buffer(13 * 27), single = Buffer(27)
        BlockGemm.tiles(M: 13, N: 27, K: K, alpha: 1, A: a.pointer, lda: K, B: b.pointer, ldb: 27, accumulate: false, C: whole.pointer, ldc: 27)
        for i in 0..<13 {
            // Row i alone takes the one-row paths; in the whole product rows 0..<12 took the 6-row tiles.
            BlockGemm.tiles(M: 1, N: 27, K: K, alpha: 1, A: a.pointer + i * K, lda: K, B: b.pointer, ldb: 27, accumulate: false, C: single.pointer, ldc: 27)
            for j in 0..<27 { #expect(whole[i * 27 + j] == single[j], "row \(i) column \(j)") }
        }
    }
}
