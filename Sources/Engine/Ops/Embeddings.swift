import Tensor

// Token + position + token-type embeddings (BERT's first step; GPT-2 passes no types).
// B: batch, T: sequence length, C: channels, V: vocabulary.
// inp, types: (B, T) ids; wte: (V, C); wpe: (maxT, C); wtt: (TT, C); out: (B, T, C).
public enum Embeddings {
    public static func forward(
        out: UnsafeMutablePointer<Float>,
        inp: UnsafePointer<Int32>, types: UnsafePointer<Int32>?,
        wte: UnsafePointer<Float>, wpe: UnsafePointer<Float>, wtt: UnsafePointer<Float>?,
        B: Int, T: Int, C: Int, firstPosition: Int = 0
    ) {
        Parallel.forRanges(B * T, grain: Parallel.grain(C)) { rows in
            for row in rows {
                let t = firstPosition + row % T
                let o = out + row * C
                let word = wte + Int(inp[row]) * C
                let position = wpe + t * C
                if let types, let wtt {
                    let type = wtt + Int(types[row]) * C
                    for c in 0..<C { o[c] = word[c] + position[c] + type[c] }
                } else {
                    for c in 0..<C { o[c] = word[c] + position[c] }
                }
            }
        }
    }

    /// Scatter-adds `dout` into the tables, row by row in order (deterministic).
    public static func backward(
        dwte: UnsafeMutablePointer<Float>?, dwpe: UnsafeMutablePointer<Float>?, dwtt: UnsafeMutablePointer<Float>?,
        dout: UnsafePointer<Float>,
        inp: UnsafePointer<Int32>, types: UnsafePointer<Int32>?,
        B: Int, T: Int, C: Int
    ) {
        for row in 0..<(B * T) {
            let t = row % T
            let d = dout + row * C
            if let dwte { let w = dwte + Int(inp[row]) * C; for c in 0..<C { w[c] += d[c] } }
            if let dwpe { let w = dwpe + t * C; for c in 0..<C { w[c] += d[c] } }
            if let dwtt, let types { let w = dwtt + Int(types[row]) * C; for c in 0..<C { w[c] += d[c] } }
        }
    }
}
