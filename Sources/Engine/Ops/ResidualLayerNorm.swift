// Residual add fused with the LayerNorm that follows it (BERT's post-LN sublayer output):
// res = inp1 + inp2, out = LayerNorm(res), in one pass over each row while it is in cache.
// N: rows (B·T), C: channels. inp1, inp2, res, out: (N, C); mean, rstd: (N); weight, bias: (C).
// res is saved for backward and may be inp1 (in place).
public enum ResidualLayerNorm {
    public static func forward(
        res: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
        mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        inp1: UnsafePointer<Float>, inp2: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        N: Int, C: Int, eps: Float
    ) {
        Parallel.forRanges(N, grain: Parallel.grain(C)) { rows in
            for i in rows {
                let a = inp1 + i * C, b = inp2 + i * C, r = res + i * C
                var c = 0
                while c + 8 <= C {
                    VectorMath.store(VectorMath.load(a + c) + VectorMath.load(b + c), r + c)
                    c += 8
                }
                while c < C { r[c] = a[c] + b[c]; c += 1 }
            }
            LayerNorm.rows(rows, out: out, mean: mean, rstd: rstd, inp: res, weight: weight, bias: bias, C: C, eps: eps)
        }
    }

    /// LayerNorm's backward into dres, then the residual's: dinp1 += dres and dinp2 += dres.
    /// `dres` (N, C) is scratch, overwritten.
    public static func backward(
        dinp1: UnsafeMutablePointer<Float>, dinp2: UnsafeMutablePointer<Float>,
        dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>, dres: UnsafeMutablePointer<Float>,
        dout: UnsafePointer<Float>, res: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        N: Int, C: Int
    ) {
        dres.update(repeating: 0, count: N * C)
        LayerNorm.backward(dinp: dres, dweight: dweight, dbias: dbias, dout: dout, inp: res, weight: weight, mean: mean, rstd: rstd, N: N, C: C)
        Residual.backward(dinp1: dinp1, dinp2: dinp2, dout: dres, N: N * C)
    }
}
