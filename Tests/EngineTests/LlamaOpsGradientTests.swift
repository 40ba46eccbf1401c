import Platform
import Testing
@testable import Engine

/// The ops Llama adds, against finite differences (see `checkGradients`).
@Suite struct LlamaOpsGradientTests {
    @Test(arguments: [8, 5]) func rmsNorm(C: Int) {
        let N = 3
        var rng = TestRandom(31)
        let inp = Buffer(random: N * C, &rng), weight = Buffer(random: C, &rng)
        let dinp = Buffer(N * C), dweight = Buffer(C), out = Buffer(N * C), rstd = Buffer(N)
        checkGradients("rmsnorm", output: out, inputs: [(inp, dinp), (weight, dweight)]) {
            RMSNorm.forward(out: out.pointer, rstd: rstd.pointer, inp: inp.pointer, weight: weight.pointer, N: N, C: C, eps: 1e-5)
        } backward: { dout in
            RMSNorm.backward(dinp: dinp.pointer, dweight: dweight.pointer, dout: dout, inp: inp.pointer, weight: weight.pointer, rstd: rstd.pointer, N: N, C: C)
        }
    }

    /// RoPE on a strided slice (the Q part of rows 3·8 wide), two heads of 4, positions 0...5;
    /// backward is the inverse rotation of the output gradient, added to the input's.
    @Test func rope() {
        let rows = 6, heads = 2, hs = 4, stride = 24
        var rng = TestRandom(32)
        let inp = Buffer(random: rows * stride, &rng), dinp = Buffer(rows * stride), out = Buffer(rows * stride)
        let positions: [Int32] = [0, 1, 2, 3, 4, 5]
        let (cos, sin) = RoPE.tables(maxT: 8, hs: hs, base: 10_000)
        checkGradients("rope", output: out, inputs: [(inp, dinp)]) {
            out.pointer.update(from: inp.pointer, count: rows * stride)
            RoPE.apply(out.pointer, positions: positions, cos: cos, sin: sin, rows: rows, heads: heads, hs: hs, stride: stride)
        } backward: { dout in
            let turned = Buffer(rows * stride)
            turned.pointer.update(from: dout, count: rows * stride)
            RoPE.apply(turned.pointer, positions: positions, cos: cos, sin: sin, rows: rows, heads: heads, hs: hs, stride: stride, inverse: true)
            for i in 0..<(rows * stride) {
                // Columns outside the rotated heads pass through unchanged.
                dinp[i] += i % stride < heads * hs ? turned[i] : dout[i]
            }
        }
        // Position 0 does not turn; position p turns pair 0 by p radians (θ₀ = 1).
        #expect(Array(out.array[0..<8]) == Array(inp.array[0..<8]))
        let (a, b) = (inp[stride], inp[stride + 2])
        #expect(abs(out[stride] - (a * Float(1.0).cosine - b * Float(1.0).sine)) < 1e-6)
    }

    @Test func swiGLU() {
        let N = 17
        var rng = TestRandom(33)
        let gate = Buffer(random: N, &rng, scale: 3), up = Buffer(random: N, &rng)
        let dgate = Buffer(N), dup = Buffer(N), out = Buffer(N)
        checkGradients("swiglu", output: out, inputs: [(gate, dgate), (up, dup)]) {
            SwiGLU.forward(out: out.pointer, gate: gate.pointer, up: up.pointer, N: N)
        } backward: { dout in
            SwiGLU.backward(dgate: dgate.pointer, dup: dup.pointer, dout: dout, gate: gate.pointer, up: up.pointer, N: N)
        }
    }
}

private extension Float {
    var cosine: Float { Float(Math.cos(Double(self))) }
    var sine: Float { Float(Math.sin(Double(self))) }
}
