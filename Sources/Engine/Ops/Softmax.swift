import Platform

// Row-wise softmax. N: rows, V: columns. logits, probs: (N, V).
public enum Softmax {
    public static func forward(probs: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, N: Int, V: Int) {
        Parallel.forRanges(N, grain: 4) { rows in
            for i in rows { row(probs + i * V, logits + i * V, V) }
        }
    }

    /// One row, numerically stable; `-infinity` entries get probability 0 and a row of only
    /// `-infinity` gives zeros.
    @inline(__always)
    static func row(_ p: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ V: Int) {
        var maximum = -Float.infinity
        for j in 0..<V { maximum = max(maximum, x[j]) }
        if maximum == -.infinity {
            p.update(repeating: 0, count: V)
            return
        }
        var sum: Float = 0
        var j = 0
        if V >= 8 {
            var sums = VectorMath.Vector()
            while j + 8 <= V {
                let e = VectorMath.exp(VectorMath.load(x + j) - maximum)
                VectorMath.store(e, p + j)
                sums += e
                j += 8
            }
            sum = sums.sum()
        }
        while j < V {
            let e = Math.exp(x[j] - maximum)
            p[j] = e
            sum += e
            j += 1
        }
        let inverse = 1 / sum
        for j in 0..<V { p[j] *= inverse }
    }

    public static func backward(dlogits: UnsafeMutablePointer<Float>, dprobs: UnsafePointer<Float>, probs: UnsafePointer<Float>, N: Int, V: Int) {
        Parallel.forRanges(N, grain: 4) { rows in
            for i in rows { rowBackward(dlogits + i * V, dprobs + i * V, probs + i * V, V) }
        }
    }

    @inline(__always)
    static func rowBackward(_ dx: UnsafeMutablePointer<Float>, _ dp: UnsafePointer<Float>, _ p: UnsafePointer<Float>, _ V: Int) {
        var dot: Float = 0
        for j in 0..<V { dot += p[j] * dp[j] }
        for j in 0..<V { dx[j] += p[j] * (dp[j] - dot) }
    }
}
