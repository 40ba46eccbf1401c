import Tensor

// Layer normalisation over the last dimension.
// N: rows (B·T), C: channels. inp, out: (N, C); mean, rstd: (N); weight, bias: (C).
public enum LayerNorm {
    public static func forward(
        out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        N: Int, C: Int, eps: Float
    ) {
        Parallel.forRanges(N, grain: Parallel.grain(C)) { rows in
            for i in rows {
                let x = inp + i * C
                var sum: Float = 0
                for c in 0..<C { sum += x[c] }
                let m = sum / Float(C)
                var variance: Float = 0
                for c in 0..<C { let d = x[c] - m; variance += d * d }
                let s = 1 / (variance / Float(C) + eps).squareRoot()
                let o = out + i * C
                for c in 0..<C { o[c] = (x[c] - m) * s * weight[c] + bias[c] }
                mean[i] = m
                rstd[i] = s
            }
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
