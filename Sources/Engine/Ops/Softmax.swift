import Platform

// Row-wise softmax. N: rows, V: columns. logits, probs: (N, V).
public enum Softmax {
    public static func forward(probs: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, N: Int, V: Int) {
        Parallel.forRanges(N, grain: 4) { rows in
            for i in rows { row(probs + i * V, logits + i * V, V) }
        }
    }

    /// One row, numerically stable; `-infinity` entries get probability 0 and a row of only
    /// `-infinity` gives zeros. Eight lanes at a time; the sum adds the lanes in a fixed order,
    /// so a row's result does not depend on where it lies in memory.
    @inline(__always)
    static func row(_ p: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ V: Int) {
        let maximum = rowMaximum(x, V)
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
        scale(p, by: 1 / sum, V)
    }

    /// The largest of `x[0..<V]` (−infinity for none).
    @inline(__always)
    static func rowMaximum(_ x: UnsafePointer<Float>, _ V: Int) -> Float {
        var maximum = -Float.infinity
        var j = 0
        if V >= 8 {
            var lanes = VectorMath.Vector(repeating: -.infinity)
            while j + 8 <= V {
                let v = VectorMath.load(x + j)
                lanes = lanes.replacing(with: v, where: v .> lanes)
                j += 8
            }
            maximum = lanes.max()
        }
        while j < V {
            maximum = max(maximum, x[j])
            j += 1
        }
        return maximum
    }

    /// p[0..<V] *= factor.
    @inline(__always)
    static func scale(_ p: UnsafeMutablePointer<Float>, by factor: Float, _ V: Int) {
        var j = 0
        while j + 8 <= V {
            VectorMath.store(VectorMath.load(p + j) * factor, p + j)
            j += 8
        }
        while j < V {
            p[j] *= factor
            j += 1
        }
    }

    /// Σ a[j]·b[j] over 0..<V, in eight lanes then the tail.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ V: Int) -> Float {
        var lanes = VectorMath.Vector()
        var j = 0
        while j + 8 <= V {
            lanes += VectorMath.load(a + j) * VectorMath.load(b + j)
            j += 8
        }
        var sum = lanes.sum()
        while j < V {
            sum += a[j] * b[j]
            j += 1
        }
        return sum
    }

    public static func backward(dlogits: UnsafeMutablePointer<Float>, dprobs: UnsafePointer<Float>, probs: UnsafePointer<Float>, N: Int, V: Int) {
        Parallel.forRanges(N, grain: 4) { rows in
            for i in rows { rowBackward(dlogits + i * V, dprobs + i * V, probs + i * V, V) }
        }
    }

    /// dx[0..<V] += p ⊙ (dp − ⟨p, dp⟩) (`accumulate`), or = when not.
    @inline(__always)
    static func rowBackward(_ dx: UnsafeMutablePointer<Float>, _ dp: UnsafePointer<Float>, _ p: UnsafePointer<Float>, _ V: Int, accumulate: Bool = true) {
        let d = dot(p, dp, V)
        var j = 0
        while j + 8 <= V {
            var value = VectorMath.load(p + j) * (VectorMath.load(dp + j) - d)
            if accumulate { value += VectorMath.load(dx + j) }
            VectorMath.store(value, dx + j)
            j += 8
        }
        while j < V {
            let value = p[j] * (dp[j] - d)
            dx[j] = accumulate ? dx[j] + value : value
            j += 1
        }
    }
}
