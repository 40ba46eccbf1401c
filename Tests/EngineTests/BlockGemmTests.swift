import Engine
import Tensor
import Testing

/// BlockGemm's register tiles (6×16, 6×8, single columns, the last rows' 4-, 2- and 1-row tiles,
/// leftover rows) against the definition
/// in double precision, on shapes that reach every path, with strided operands, alpha and
/// accumulation.
@Suite struct BlockGemmTests {
    @Test(arguments: [(12, 32, 32), (13, 27, 9), (6, 16, 1), (5, 7, 40), (128, 32, 128), (1, 1, 1), (10, 40, 17), (8, 33, 5), (32, 48, 24)])
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
        let a = Buffer(random: 17 * K, &rng), b = Buffer(random: K * 27, &rng)
        let whole = Buffer(17 * 27), single = Buffer(27)
        BlockGemm.tiles(M: 17, N: 27, K: K, alpha: 1, A: a.pointer, lda: K, B: b.pointer, ldb: 27, accumulate: false, C: whole.pointer, ldc: 27)
        for i in 0..<17 {
            // Row i alone takes the one-row paths; in the whole product rows 0..<12 took the 6-row
            // tiles, 12..<16 the 4-row tile and 16 the one-row tile.
            BlockGemm.tiles(M: 1, N: 27, K: K, alpha: 1, A: a.pointer + i * K, lda: K, B: b.pointer, ldb: 27, accumulate: false, C: single.pointer, ldc: 27)
            for j in 0..<27 { #expect(whole[i * 27 + j] == single[j], "row \(i) column \(j)") }
        }
    }

    /// A weight packed once (`PackedLinear`) gives Matmul's product, with and without bias, at
    /// the few rows of a request and at more; a BERT inference model packed for inference gives
    /// the logits and hidden states it gives unpacked.
    @Test func packedLinearMatchesMatmul() throws {
        var rng = TestRandom(5)
        let C = 40, OC = 48, weight = Buffer(random: OC * C, &rng), bias = Buffer(random: OC, &rng)
        let packed = PackedLinear(weight: weight.pointer, OC: OC, C: C)
        for N in [1, 7, 32] {
            let inp = Buffer(random: N * C, &rng)
            for withBias in [false, true] {
                let expected = Buffer(N * OC), got = Buffer(N * OC)
                Matmul.forward(out: expected.pointer, inp: inp.pointer, weight: weight.pointer, bias: withBias ? bias.pointer : nil, N: N, C: C, OC: OC)
                packed.forward(out: got.pointer, inp: inp.pointer, bias: withBias ? bias.pointer : nil, N: N)
                let worst = (0..<(N * OC)).map { abs(expected[$0] - got[$0]) }.max() ?? 0
                #expect(worst < 1e-5, "N \(N), bias \(withBias): \(worst)")
            }
        }
        var config = TinyBert.config
        (config.hiddenSize, config.numHeads, config.intermediateSize) = (16, 2, 32)  // whole panels of 16
        let trained = Bert(config: config, maxB: 3, maxT: 5, trainable: true)
        for i in 0..<trained.params.count { trained.params.pointer[i] = rng.uniform() * 0.2 }
        var outputs: [[Float]] = []
        for pack in [false, true] {
            let model = Bert(config: config, maxB: 3, maxT: 5, trainable: false)
            _ = model.params.buffer.update(fromContentsOf: trained.params.buffer)
            if pack { model.packForInference() }
            #expect((model.packedCount > 0) == pack)
            try model.forward(TinyBert.batch())
            outputs.append(Array(model.logits) + model.hiddenState)
        }
        #expect(zip(outputs[0], outputs[1]).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(outputs)")
    }
}
