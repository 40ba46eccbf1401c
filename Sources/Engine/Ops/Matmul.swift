import Tensor

// Linear layer, PyTorch's layout: out = inp · weightᵀ + bias.
// N: rows (B·T), C: input channels, OC: output channels.
// inp: (N, C) with rows `inputStride` apart (C unless picking rows, as the pooler does);
// weight: (OC, C); bias: (OC); out: (N, OC).
public enum Matmul {
    public static func forward(
        out: UnsafeMutablePointer<Float>,
        inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        N: Int, C: Int, OC: Int, inputStride: Int? = nil
    ) {
        if let bias {
            Parallel.forRanges(N, grain: Parallel.grain(OC)) { rows in
                for i in rows { (out + i * OC).update(from: bias, count: OC) }
            }
        }
        Gemm.run(
            transposeA: false, transposeB: true, M: N, N: OC, K: C,
            A: inp, lda: inputStride ?? C, B: weight, ldb: C,
            beta: bias == nil ? 0 : 1, C: out, ldc: OC)
    }

    public static func backward(
        dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?,
        dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        N: Int, C: Int, OC: Int, inputStride: Int? = nil
    ) {
        let stride = inputStride ?? C
        if let dinp {
            Gemm.run(
                transposeA: false, transposeB: false, M: N, N: C, K: OC,
                A: dout, lda: OC, B: weight, ldb: C, beta: 1, C: dinp, ldc: stride)
        }
        if let dweight {
            Gemm.run(
                transposeA: true, transposeB: false, M: OC, N: C, K: N,
                A: dout, lda: OC, B: inp, ldb: stride, beta: 1, C: dweight, ldc: C)
        }
        if let dbias {
            Parallel.forRanges(OC, grain: N >= 64 ? 64 : OC) { columns in
                for i in 0..<N {
                    let d = dout + i * OC
                    for o in columns { dbias[o] += d[o] }
                }
            }
        }
    }
}
