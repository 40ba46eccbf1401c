// Mean of the real tokens' hidden states (sentence-transformers' mean pooling):
// out[b] = Σ_t mask[b,t] · inp[b,t] / max(Σ_t mask[b,t], 1e-9).
// B: batch, T: sequence length, C: channels. inp: (B, T, C); mask: (B, T); out: (B, C).
public enum MeanPooling {
    static func count(_ mask: UnsafePointer<Int32>, _ b: Int, _ T: Int) -> Float {
        var n: Float = 0
        for t in 0..<T { n += Float(mask[b * T + t]) }
        return max(n, 1e-9)
    }

    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, mask: UnsafePointer<Int32>, B: Int, T: Int, C: Int) {
        for b in 0..<B {
            let o = out + b * C
            o.update(repeating: 0, count: C)
            for t in 0..<T where mask[b * T + t] != 0 {
                let w = Float(mask[b * T + t]), x = inp + (b * T + t) * C
                for c in 0..<C { o[c] += w * x[c] }
            }
            let n = count(mask, b, T)
            for c in 0..<C { o[c] /= n }
        }
    }

    public static func backward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, mask: UnsafePointer<Int32>, B: Int, T: Int, C: Int) {
        for b in 0..<B {
            let n = count(mask, b, T), d = dout + b * C
            for t in 0..<T where mask[b * T + t] != 0 {
                let w = Float(mask[b * T + t]) / n, dx = dinp + (b * T + t) * C
                for c in 0..<C { dx[c] += w * d[c] }
            }
        }
    }
}
