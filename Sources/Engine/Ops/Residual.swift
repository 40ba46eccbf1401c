// Residual connection: out = inp1 + inp2. N: element count. All: (N).
public enum Residual {
    public static func forward(out: UnsafeMutablePointer<Float>, inp1: UnsafePointer<Float>, inp2: UnsafePointer<Float>, N: Int) {
        Parallel.forRanges(N, grain: Parallel.grain(1)) { range in
            let i = range.lowerBound
            VectorMath.add(out + i, inp1 + i, inp2 + i, range.count)
        }
    }

    public static func backward(dinp1: UnsafeMutablePointer<Float>, dinp2: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, N: Int) {
        Parallel.forRanges(N, grain: Parallel.grain(1)) { range in
            for i in range {
                dinp1[i] += dout[i]
                dinp2[i] += dout[i]
            }
        }
    }
}
