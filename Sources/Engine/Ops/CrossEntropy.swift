import Platform

// Softmax cross-entropy, averaged over the rows whose target is not `ignoreIndex` (PyTorch's
// default reduction; HF labels padding with -100).
// N: rows, V: classes. logits, probs: (N, V); targets, losses: (N).
public enum CrossEntropy {
    /// Returns the mean loss; rows with an ignored target get loss 0.
    @discardableResult
    public static func forward(
        losses: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
        logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
        N: Int, V: Int, ignoreIndex: Int32 = -100
    ) -> Float {
        Softmax.forward(probs: probs, logits: logits, N: N, V: V)
        var total: Double = 0
        var counted = 0
        for i in 0..<N {
            let y = targets[i]
            if y == ignoreIndex { losses[i] = 0; continue }
            precondition(y >= 0 && Int(y) < V, "CrossEntropy: target \(y) outside 0..<\(V)")
            let row = logits + i * V
            var maximum = -Float.infinity
            for j in 0..<V { maximum = max(maximum, row[j]) }
            var sum: Float = 0
            for j in 0..<V { sum += Math.exp(row[j] - maximum) }
            losses[i] = maximum + Math.log(sum) - row[Int(y)]
            total += Double(losses[i])
            counted += 1
        }
        return counted == 0 ? 0 : Float(total / Double(counted))
    }

    /// dlogits += dloss · (probs − onehot(target)) / counted rows.
    public static func backward(
        dlogits: UnsafeMutablePointer<Float>,
        probs: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
        N: Int, V: Int, dloss: Float = 1, ignoreIndex: Int32 = -100
    ) {
        var counted = 0
        for i in 0..<N where targets[i] != ignoreIndex { counted += 1 }
        if counted == 0 { return }
        let scale = dloss / Float(counted)
        for i in 0..<N where targets[i] != ignoreIndex {
            let d = dlogits + i * V, p = probs + i * V
            for j in 0..<V { d[j] += scale * (p[j] - (j == Int(targets[i]) ? 1 : 0)) }
        }
    }
}
