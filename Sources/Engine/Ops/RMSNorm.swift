import Platform

// RMSNorm, as Llama uses: out = x · rstd · weight, rstd = 1 / √(mean(x²) + eps), no bias and
// no mean subtraction. N: rows, C: channels. inp, out: (N, C); weight: (C); rstd: (N), kept for
// backward. Sums in Double, as for LayerNorm.
public enum RMSNorm {
    public static func forward(
        out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, N: Int, C: Int, eps: Float
    ) {
        Parallel.forRanges(N, grain: Parallel.grain(C)) { rows in
            for r in rows {
                let x = inp + r * C, o = out + r * C
                var squares: Double = 0
                for c in 0..<C { squares += Double(x[c]) * Double(x[c]) }
                let s = Float(1 / (squares / Double(C) + Double(eps)).squareRoot())
                rstd[r] = s
                for c in 0..<C { o[c] = x[c] * s * weight[c] }
            }
        }
    }

    /// dinp and dweight accumulate. With y = x·s: dx = s·(w·dout) − x·s³·mean(x·w·dout).
    /// dweight sums over rows, so it runs by columns (each column's sum in one fixed order).
    public static func backward(
        dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>?,
        dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        rstd: UnsafePointer<Float>, N: Int, C: Int
    ) {
        Parallel.forRanges(N, grain: Parallel.grain(C)) { rows in
            for r in rows {
                let x = inp + r * C, g = dout + r * C, dx = dinp + r * C
                let s = rstd[r]
                var dot: Double = 0
                for c in 0..<C { dot += Double(x[c]) * Double(weight[c]) * Double(g[c]) }
                let k = Float(dot / Double(C)) * s * s * s
                for c in 0..<C { dx[c] += s * weight[c] * g[c] - x[c] * k }
            }
        }
        guard let dweight else { return }
        Parallel.forRanges(C, grain: max(1, 16384 / max(N, 1))) { columns in
            for c in columns {
                var sum: Float = 0
                for r in 0..<N { sum += dout[r * C + c] * inp[r * C + c] * rstd[r] }
                dweight[c] += sum
            }
        }
    }
}
