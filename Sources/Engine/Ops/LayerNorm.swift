import Tensor

// Layer normalisation over the last dimension.
// N: rows (B·T), C: channels. inp, out: (N, C); mean, rstd: (N); weight, bias: (C).
// Rows are summed eight lanes at a time when C is a multiple of 8.
public enum LayerNorm {
    typealias Vector = VectorMath.Vector

    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ C: Int) -> Float {
        guard C % 8 == 0 else { return (0..<C).reduce(0) { $0 + x[$1] } }
        var lanes = Vector()
        for c in stride(from: 0, to: C, by: 8) { lanes += VectorMath.load(x + c) }
        return lanes.sum()
    }

    public static func forward(
        out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        N: Int, C: Int, eps: Float
    ) {
        Parallel.forRanges(N, grain: Parallel.grain(C)) { rows in
            self.rows(rows, out: out, mean: mean, rstd: rstd, inp: inp, weight: weight, bias: bias, C: C, eps: eps)
        }
    }

    /// The forward pass over `rows` on the calling thread.
    @inline(__always)
    static func rows(
        _ rows: Range<Int>, out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, C: Int, eps: Float
    ) {
        for i in rows {
            let x = inp + i * C, o = out + i * C
            let m = sum(x, C) / Float(C)
            var variance: Float = 0
            if C % 8 == 0 {
                var lanes = Vector()
                for c in stride(from: 0, to: C, by: 8) { let d = VectorMath.load(x + c) - m; lanes += d * d }
                variance = lanes.sum()
            } else {
                for c in 0..<C { let d = x[c] - m; variance += d * d }
            }
            let s = 1 / (variance / Float(C) + eps).squareRoot()
            if C % 8 == 0 {
                for c in stride(from: 0, to: C, by: 8) {
                    VectorMath.store((VectorMath.load(x + c) - m) * s * VectorMath.load(weight + c) + VectorMath.load(bias + c), o + c)
                }
            } else {
                for c in 0..<C { o[c] = (x[c] - m) * s * weight[c] + bias[c] }
            }
            mean[i] = m
            rstd[i] = s
        }
    }

    public static func backward(
        dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>,
        dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        N: Int, C: Int
    ) {
        Parallel.forRanges(N, grain: Parallel.grain(C)) { rows in
            for i in rows {
                let x = inp + i * C, d = dout + i * C, dx = dinp + i * C
                let m = mean[i], s = rstd[i]
                var dnormMean: Float = 0, dnormNormMean: Float = 0
                if C % 8 == 0 {
                    var a = Vector(), b = Vector()
                    for c in stride(from: 0, to: C, by: 8) {
                        let norm = (VectorMath.load(x + c) - m) * s
                        let dnorm = VectorMath.load(weight + c) * VectorMath.load(d + c)
                        a += dnorm
                        b += dnorm * norm
                    }
                    dnormMean = a.sum() / Float(C)
                    dnormNormMean = b.sum() / Float(C)
                    for c in stride(from: 0, to: C, by: 8) {
                        let norm = (VectorMath.load(x + c) - m) * s
                        let dnorm = VectorMath.load(weight + c) * VectorMath.load(d + c)
                        VectorMath.store(VectorMath.load(dx + c) + (dnorm - dnormMean - norm * dnormNormMean) * s, dx + c)
                    }
                } else {
                    for c in 0..<C {
                        let norm = (x[c] - m) * s
                        let dnorm = weight[c] * d[c]
                        dnormMean += dnorm
                        dnormNormMean += dnorm * norm
                    }
                    dnormMean /= Float(C)
                    dnormNormMean /= Float(C)
                    for c in 0..<C {
                        let norm = (x[c] - m) * s
                        dx[c] += (weight[c] * d[c] - dnormMean - norm * dnormNormMean) * s
                    }
                }
            }
        }
        // Parameter gradients: each thread owns a range of channels and sums rows in order.
        Parallel.forRanges(C, grain: N >= 64 ? 32 : C) { channels in
            for i in 0..<N {
                let x = inp + i * C, d = dout + i * C
                let m = mean[i], s = rstd[i]
                for c in channels {
                    dbias[c] += d[c]
                    dweight[c] += (x[c] - m) * s * d[c]
                }
            }
        }
    }
}
