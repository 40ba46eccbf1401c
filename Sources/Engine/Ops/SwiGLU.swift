import Platform

// Llama's gated MLP activation: out = silu(gate) · up, silu(g) = g · σ(g).
// N: elements. gate, up, out: (N).
public enum SwiGLU {
    public static func forward(out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, N: Int) {
        Parallel.forRanges(N, grain: Parallel.grain(1)) { range in
            for i in range {
                let g = gate[i]
                out[i] = g / (1 + Math.exp(-g)) * up[i]
            }
        }
    }

    /// dgate and dup accumulate: silu'(g) = σ(g) · (1 + g · (1 − σ(g))).
    public static func backward(
        dgate: UnsafeMutablePointer<Float>, dup: UnsafeMutablePointer<Float>,
        dout: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, N: Int
    ) {
        Parallel.forRanges(N, grain: Parallel.grain(1)) { range in
            for i in range {
                let g = gate[i], sigma = 1 / (1 + Math.exp(-g))
                dgate[i] += dout[i] * up[i] * sigma * (1 + g * (1 - sigma))
                dup[i] += dout[i] * g * sigma
            }
        }
    }
}
