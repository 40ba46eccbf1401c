import Testing
@testable import Engine
import Platform

@Suite struct ParallelTests {
    /// Ops give the same bits on one thread and on a team of three.
    @Test func threadCountIndependence() {
        var rng = TestRandom(21)
        let N = 64, C = 48
        let inp = Buffer(random: N * C, &rng), weight = Buffer(random: C, &rng), bias = Buffer(random: C, &rng)
        func run() -> [Float] {
            let out = Buffer(N * C), mean = Buffer(N), rstd = Buffer(N), dropped = Buffer(N * C)
            LayerNorm.forward(out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, inp: inp.pointer, weight: weight.pointer, bias: bias.pointer, N: N, C: C, eps: 1e-5)
            Dropout.forward(out: dropped.pointer, inp: out.pointer, N: N * C, p: 0.1, seed: 5)
            let dinp = Buffer(N * C), dweight = Buffer(C), dbias = Buffer(C)
            LayerNorm.backward(dinp: dinp.pointer, dweight: dweight.pointer, dbias: dbias.pointer, dout: dropped.pointer, inp: inp.pointer, weight: weight.pointer, mean: mean.pointer, rstd: rstd.pointer, N: N, C: C)
            return dropped.array + dinp.array + dweight.array + dbias.array
        }
        let single = run()
        let parallel = Parallel.withThreads(3) { run() }
        #expect(single == parallel)
        let team = ThreadTeam(size: 3)
        var covered = [Int](repeating: 0, count: 1000)
        covered.withUnsafeMutableBufferPointer { buffer in
            let pointer = buffer.baseAddress!
            #expect(team.run(count: 1000) { _, range in for i in range { pointer[i] += 1 } })
        }
        #expect(covered.allSatisfy { $0 == 1 })
    }

    @Test func dropoutRate() {
        var kept = 0
        for i in 0..<100_000 where Dropout.factor(seed: 7, index: i, p: 0.1) > 0 { kept += 1 }
        #expect(abs(Double(kept) / 100_000 - 0.9) < 0.005)
        #expect(Dropout.factor(seed: 7, index: 3, p: 0.5) == Dropout.factor(seed: 7, index: 3, p: 0.5))
    }
}

@Suite struct VectorMathTests {
    /// The eight-wide exp and erf against libm over a sweep of inputs.
    @Test func accuracy() {
        var worstExp: Float = 0, worstErf: Float = 0
        var x: Float = -90
        while x < 88 {
            let v = VectorMath.Vector(repeating: x)
            let e = VectorMath.exp(v)[0], reference = Math.exp(x)
            if reference > 1e-37 { worstExp = max(worstExp, abs(e - reference) / reference) } else { #expect(e < 1.2e-37) }
            worstErf = max(worstErf, abs(VectorMath.erf(v)[0] - Math.erf(x)))
            x += 0.01337
        }
        #expect(worstExp < 3e-7, "exp relative error \(worstExp)")
        #expect(worstErf < 4e-7, "erf absolute error \(worstErf)")
        #expect(VectorMath.exp(VectorMath.Vector(repeating: -.infinity))[0] == 0)
    }
}
