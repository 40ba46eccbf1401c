// Residual connection: out = inp1 + inp2. N: element count. All: (N).
public enum Residual {
    public static func forward(out: UnsafeMutablePointer<Float>, inp1: UnsafePointer<Float>, inp2: UnsafePointer<Float>, N: Int) {
        Parallel.forRanges(N, grain: Parallel.grain(1)) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let a = UnsafeRawPointer(inp1 + i).loadUnaligned(as: SIMD8<Float>.self)
                let b = UnsafeRawPointer(inp2 + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(out + i).storeBytes(of: a + b, as: SIMD8<Float>.self)
                i += 8
            }
            while i < range.upperBound { out[i] = inp1[i] + inp2[i]; i += 1 }
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
