import Platform

// BERT's pooler: out = tanh(first token's hidden state · weightᵀ + bias).
// B: batch, T: sequence length, C: channels.
// inp: (B, T, C); weight: (C, C); bias: (C); out: (B, C); dpre: (B, C) scratch.
public enum Pooler {
    public static func forward(
        out: UnsafeMutablePointer<Float>,
        inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        B: Int, T: Int, C: Int
    ) {
        Matmul.forward(out: out, inp: inp, weight: weight, bias: bias, N: B, C: C, OC: C, inputStride: T * C)
        for i in 0..<(B * C) { out[i] = Math.tanh(out[i]) }
    }

    /// `dpre` is scratch (overwritten); the other gradients accumulate.
    public static func backward(
        dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>,
        dpre: UnsafeMutablePointer<Float>,
        dout: UnsafePointer<Float>, out: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        B: Int, T: Int, C: Int
    ) {
        for i in 0..<(B * C) { dpre[i] = dout[i] * (1 - out[i] * out[i]) }
        Matmul.backward(
            dinp: dinp, dweight: dweight, dbias: dbias, dout: dpre, inp: inp, weight: weight,
            N: B, C: C, OC: C, inputStride: T * C)
    }
}
