import Platform

// Rotary position embeddings with Hugging Face's rotate-half convention (Llama): in each head
// of size hs, element i < hs/2 pairs with i + hs/2 and the pair turns by angle p · θᵢ, where
// p is the token's position and θᵢ = base^(−2i/hs):
//     out[i]        = x[i] · cos − x[i + hs/2] · sin
//     out[i + hs/2] = x[i + hs/2] · cos + x[i] · sin
// x: (B·T rows of heads·hs) with rows `stride` floats apart (a slice of a fused QKV row),
// rotated in place. positions: (B·T) token positions, indexing the `tables`.
public enum RoPE {
    /// cos and sin tables (T·hs/2 each) for positions 0..<maxT, computed as transformers does:
    /// inv_freq = 1 / base^(2i/hs) in float32, angle = Float(p) · inv_freq in float32.
    public static func tables(maxT: Int, hs: Int, base: Double) -> (cos: [Float], sin: [Float]) {
        let half = hs / 2
        var cos = [Float](repeating: 0, count: maxT * half), sin = cos
        for i in 0..<half {
            let inverse = Float(1 / Math.pow(base, Double(2 * i) / Double(hs)))
            for p in 0..<maxT {
                let angle = Float(p) * inverse
                cos[p * half + i] = Float(Math.cos(Double(angle)))
                sin[p * half + i] = Float(Math.sin(Double(angle)))
            }
        }
        return (cos, sin)
    }

    /// Rotates every head of every row by its position's angles (`inverse`: by minus them,
    /// which is backward: the rotation is orthogonal, so the gradient turns back).
    public static func apply(
        _ x: UnsafeMutablePointer<Float>, positions: UnsafePointer<Int32>, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
        rows: Int, heads: Int, hs: Int, stride: Int, inverse: Bool = false
    ) {
        let half = hs / 2, sign: Float = inverse ? -1 : 1
        Parallel.forRanges(rows, grain: Parallel.grain(heads * hs)) { range in
            for r in range {
                let p = Int(positions[r]), c = cos + p * half, s = sin + p * half
                for h in 0..<heads {
                    let head = x + r * stride + h * hs
                    for i in 0..<half {
                        let a = head[i], b = head[i + half], sn = sign * s[i]
                        head[i] = a * c[i] - b * sn
                        head[i + half] = b * c[i] + a * sn
                    }
                }
            }
        }
    }
}
