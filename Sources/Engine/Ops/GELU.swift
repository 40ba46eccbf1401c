import Platform

// GELU, exact form as BERT uses: out = x · Φ(x) = 0.5 · x · (1 + erf(x / √2)).
// N: element count. inp, out: (N). Eight lanes at a time (VectorMath), libm for the tail.
public enum GELU {
    static let invSqrt2: Float = 0.70710678118654752
    static let invSqrt2Pi: Float = 0.39894228040143268

    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
        Parallel.forRanges(N, grain: Parallel.grain(1)) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let x = VectorMath.load(inp + i)
                VectorMath.store(0.5 * x * (1 + VectorMath.erf(x * invSqrt2)), out + i)
                i += 8
            }
            while i < range.upperBound {
                let x = inp[i]
                out[i] = 0.5 * x * (1 + Math.erf(x * invSqrt2))
                i += 1
            }
        }
    }

    /// Bias + GELU fused, after a linear layer computed without bias: pre[r, c] += bias[c] (kept
    /// for backward), out = GELU(pre). Rows: N; columns: C. pre, out: (N, C); bias: (C).
    public static func forward(out: UnsafeMutablePointer<Float>, pre: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, N: Int, C: Int) {
        Parallel.forRanges(N, grain: Parallel.grain(C)) { rows in
            for r in rows {
                let x = pre + r * C, o = out + r * C
                var c = 0
                while c + 8 <= C {
                    let v = VectorMath.load(x + c) + VectorMath.load(bias + c)
                    VectorMath.store(v, x + c)
                    VectorMath.store(0.5 * v * (1 + VectorMath.erf(v * invSqrt2)), o + c)
                    c += 8
                }
                while c < C {
                    let v = x[c] + bias[c]
                    x[c] = v
                    o[c] = 0.5 * v * (1 + Math.erf(v * invSqrt2))
                    c += 1
                }
            }
        }
    }

    /// Fused recomputation for backward: out = GELU(x) and slope = GELU'(x) in one pass (one
    /// erf and one exp per element instead of two passes). `slope` is overwritten; finish with
    /// `multiply(slope:dout:)` once the gradient of the output is known.
    public static func forwardWithSlope(out: UnsafeMutablePointer<Float>, slope: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
        Parallel.forRanges(N, grain: Parallel.grain(1)) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let x = VectorMath.load(inp + i)
                let cdf = 0.5 * (1 + VectorMath.erf(x * invSqrt2))
                VectorMath.store(x * cdf, out + i)
                VectorMath.store(cdf + x * (invSqrt2Pi * VectorMath.exp(-0.5 * x * x)), slope + i)
                i += 8
            }
            while i < range.upperBound {
                let x = inp[i]
                let cdf = 0.5 * (1 + Math.erf(x * invSqrt2))
                out[i] = x * cdf
                slope[i] = cdf + x * invSqrt2Pi * Math.exp(-0.5 * x * x)
                i += 1
            }
        }
    }

    /// slope[i] ·= dout[i]: turns the slope from `forwardWithSlope` into the input gradient
    /// (overwrites: the one non-accumulating GELU backward, for the fused path).
    public static func multiply(slope: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, N: Int) {
        Parallel.forRanges(N, grain: Parallel.grain(1)) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                VectorMath.store(VectorMath.load(slope + i) * VectorMath.load(dout + i), slope + i)
                i += 8
            }
            while i < range.upperBound { slope[i] *= dout[i]; i += 1 }
        }
    }

    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, dout: UnsafePointer<Float>, N: Int) {
        Parallel.forRanges(N, grain: Parallel.grain(1)) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let x = VectorMath.load(inp + i)
                let cdf = 0.5 * (1 + VectorMath.erf(x * invSqrt2))
                let pdf = invSqrt2Pi * VectorMath.exp(-0.5 * x * x)
                VectorMath.store(VectorMath.load(dinp + i) + VectorMath.load(dout + i) * (cdf + x * pdf), dinp + i)
                i += 8
            }
            while i < range.upperBound {
                let x = inp[i]
                let cdf = 0.5 * (1 + Math.erf(x * invSqrt2))
                let pdf = invSqrt2Pi * Math.exp(-0.5 * x * x)
                dinp[i] += dout[i] * (cdf + x * pdf)
                i += 1
            }
        }
    }
}

// GELU, tanh approximation as GPT-2 uses: 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 x³))).
// N: element count. inp, out: (N).
public enum GELUTanh {
    static let scale: Float = 0.79788456080286536

    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
        Parallel.forRanges(N, grain: Parallel.grain(1)) { range in
            for i in range {
                let x = inp[i]
                out[i] = 0.5 * x * (1 + Math.tanh(scale * (x + 0.044715 * x * x * x)))
            }
        }
    }

    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, dout: UnsafePointer<Float>, N: Int) {
        Parallel.forRanges(N, grain: Parallel.grain(1)) { range in
            for i in range {
                let x = inp[i]
                let u = scale * (x + 0.044715 * x * x * x)
                let th = Math.tanh(u)
                let sech2 = 1 - th * th
                let local = 0.5 * (1 + th) + 0.5 * x * sech2 * scale * (1 + 3 * 0.044715 * x * x)
                dinp[i] += dout[i] * local
            }
        }
    }
}
