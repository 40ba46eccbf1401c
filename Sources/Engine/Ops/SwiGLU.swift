import Platform

// Llama's gated MLP activation: out = silu(gate) · up, silu(g) = g · σ(g).
// N: elements. gate, up, out: (N). Eight lanes at a time (VectorMath), libm for the tail.
public enum SwiGLU {
    public static func forward(out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, N: Int) {
        Parallel.forRanges(N, grain: Parallel.grain(1)) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let g = VectorMath.load(gate + i)
                VectorMath.store(g / (1 + VectorMath.exp(-g)) * VectorMath.load(up + i), out + i)
                i += 8
            }
            while i < range.upperBound {
                let g = gate[i]
                out[i] = g / (1 + Math.exp(-g)) * up[i]
                i += 1
            }
        }
    }

    /// dgate and dup accumulate: silu'(g) = σ(g) · (1 + g · (1 − σ(g))).
    public static func backward(
        dgate: UnsafeMutablePointer<Float>, dup: UnsafeMutablePointer<Float>,
        dout: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, N: Int
    ) {
        Parallel.forRanges(N, grain: Parallel.grain(1)) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let g = VectorMath.load(gate + i), d = VectorMath.load(dout + i), sigma = 1 / (1 + VectorMath.exp(-g))
                VectorMath.store(VectorMath.load(dgate + i) + d * VectorMath.load(up + i) * sigma * (1 + g * (1 - sigma)), dgate + i)
                VectorMath.store(VectorMath.load(dup + i) + d * g * sigma, dup + i)
                i += 8
            }
            while i < range.upperBound {
                let g = gate[i], sigma = 1 / (1 + Math.exp(-g))
                dgate[i] += dout[i] * up[i] * sigma * (1 + g * (1 - sigma))
                dup[i] += dout[i] * g * sigma
                i += 1
            }
        }
    }
}
