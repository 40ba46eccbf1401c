// Inverted dropout with a counter-based generator: element i of a call seeded `seed` is kept
// when hash(seed, i) ≥ p, so the mask is never stored, backward recomputes it, and it does not
// depend on the thread count. Kept elements are scaled by 1 / (1 − p). The hash is two rounds
// of murmur3's 32-bit finaliser over (index, seed), eight lanes at a time.
// N: element count. inp, out: (N); out may be inp.
public enum Dropout {
    public typealias Lanes = SIMD8<UInt32>

    @inline(__always)
    static func mix(_ value: Lanes) -> Lanes {
        var h = value
        h ^= h &>> 16
        h &*= 0x85EB_CA6B
        h ^= h &>> 13
        h &*= 0xC2B2_AE35
        h ^= h &>> 16
        return h
    }

    /// Uniform floats in [0, 1) for indices start..<start+8.
    @inline(__always)
    public static func uniforms(seed: UInt64, start: Int) -> SIMD8<Float> {
        let index = Lanes(repeating: UInt32(truncatingIfNeeded: start)) &+ Lanes(0, 1, 2, 3, 4, 5, 6, 7)
        let low = UInt32(truncatingIfNeeded: seed), high = UInt32(truncatingIfNeeded: seed >> 32)
        let h = mix(mix(index &* 0x9E37_79B9 &+ low) ^ high)
        let bits = (h &>> 9) | 0x3F80_0000  // a float in [1, 2) from 23 random bits
        return unsafeBitCast(bits, to: SIMD8<Float>.self) - 1
    }

    /// The factors elements start..<start+8 are multiplied by: 0 or 1 / (1 − p).
    @inline(__always)
    public static func factors(seed: UInt64, start: Int, p: Float) -> SIMD8<Float> {
        SIMD8<Float>(repeating: 1 / (1 - p)).replacing(with: 0, where: uniforms(seed: seed, start: start) .< p)
    }

    /// The factor of one element (the same value `factors` gives it).
    @inline(__always)
    public static func factor(seed: UInt64, index: Int, p: Float) -> Float {
        let start = index & ~7
        return factors(seed: seed, start: start, p: p)[index - start]
    }

    /// out[i] = inp[i] · factor(i) over `range`, eight at a time where aligned to the lanes.
    @inline(__always)
    static func apply(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ range: Range<Int>, p: Float, seed: UInt64, accumulate: Bool) {
        var i = range.lowerBound
        while i < range.upperBound && i & 7 != 0 {
            let value = inp[i] * factor(seed: seed, index: i, p: p)
            out[i] = accumulate ? out[i] + value : value
            i += 1
        }
        while i + 8 <= range.upperBound {
            var value = VectorMath.load(inp + i) * factors(seed: seed, start: i, p: p)
            if accumulate { value += VectorMath.load(out + i) }
            VectorMath.store(value, out + i)
            i += 8
        }
        while i < range.upperBound {
            let value = inp[i] * factor(seed: seed, index: i, p: p)
            out[i] = accumulate ? out[i] + value : value
            i += 1
        }
    }

    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int, p: Float, seed: UInt64) {
        precondition(p >= 0 && p < 1, "Dropout: p must be in [0, 1)")
        Parallel.forRanges(N, grain: Parallel.grain(1)) { range in
            if p == 0 {
                if out != UnsafeMutablePointer(mutating: inp) { (out + range.lowerBound).update(from: inp + range.lowerBound, count: range.count) }
            } else {
                apply(out, inp, range, p: p, seed: seed, accumulate: false)
            }
        }
    }

    public static func backward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, N: Int, p: Float, seed: UInt64) {
        Parallel.forRanges(N, grain: Parallel.grain(1)) { range in
            if p == 0 {
                for i in range { dinp[i] += dout[i] }
            } else {
                apply(dinp, dout, range, p: p, seed: seed, accumulate: true)
            }
        }
    }
}
