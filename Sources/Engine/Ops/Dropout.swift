// Inverted dropout with a counter-based generator: element i of a call seeded `seed` is kept
// when hash(seed, i) ≥ p, so the mask is never stored, backward recomputes it, and it does not
// depend on the thread count. Kept elements are scaled by 1 / (1 − p).
// N: element count. inp, out: (N); out may be inp.
public enum Dropout {
    /// splitmix64's finaliser over (seed, index): a fast, well-mixed 64-bit hash.
    @inline(__always)
    public static func hash(seed: UInt64, index: Int) -> UInt64 {
        var z = seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The factor element `index` is multiplied by: 0 or 1 / (1 − p).
    @inline(__always)
    public static func factor(seed: UInt64, index: Int, p: Float) -> Float {
        let uniform = Float(hash(seed: seed, index: index) >> 40) * (1 / Float(1 << 24))
        return uniform < p ? 0 : 1 / (1 - p)
    }

    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int, p: Float, seed: UInt64) {
        precondition(p >= 0 && p < 1, "Dropout: p must be in [0, 1)")
        Parallel.forRanges(N, grain: 8192) { range in
            for i in range { out[i] = p == 0 ? inp[i] : inp[i] * factor(seed: seed, index: i, p: p) }
        }
    }

    public static func backward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, N: Int, p: Float, seed: UInt64) {
        Parallel.forRanges(N, grain: 8192) { range in
            for i in range { dinp[i] += p == 0 ? dout[i] : dout[i] * factor(seed: seed, index: i, p: p) }
        }
    }
}
