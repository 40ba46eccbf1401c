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

    /// Forward and backward at once for training, in place: `logits` (N, V) becomes dlogits,
    /// dloss · (softmax − onehot(target)) / counted rows (zero on ignored rows), with no
    /// probability buffer; returns the mean loss and how many targets were the top logit.
    /// Rows run in parallel.
    /// `rowLosses` (N), when given, receives each row's loss (0 on ignored rows).
    public static func fused(
        logits: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int32>, N: Int, V: Int, dloss: Float = 1, ignoreIndex: Int32 = -100,
        rowLosses: UnsafeMutablePointer<Float>? = nil
    ) -> TokenLoss {
        var counted = 0
        for i in 0..<N where targets[i] != ignoreIndex {
            precondition(targets[i] >= 0 && Int(targets[i]) < V, "CrossEntropy: target \(targets[i]) outside 0..<\(V)")
            counted += 1
        }
        let losses = UnsafeMutablePointer<Float>.allocate(capacity: max(N, 1)), hits = UnsafeMutablePointer<Bool>.allocate(capacity: max(N, 1))
        defer { losses.deallocate(); hits.deallocate() }
        let scale = counted == 0 ? 0 : dloss / Float(counted)
        Parallel.forRanges(N, grain: 1) { rows in
            for i in rows {
                let row = logits + i * V, y = targets[i]
                hits[i] = false
                guard y != ignoreIndex else { row.update(repeating: 0, count: V); losses[i] = 0; continue }
                var maximum = -Float.infinity, best = 0
                for j in 0..<V where row[j] > maximum { (maximum, best) = (row[j], j) }
                hits[i] = best == Int(y)
                let target = row[Int(y)]
                var sums = VectorMath.Vector(), sum: Float = 0, j = 0
                while j + 8 <= V {
                    let e = VectorMath.exp(VectorMath.load(row + j) - maximum)
                    VectorMath.store(e, row + j)
                    sums += e
                    j += 8
                }
                while j < V { row[j] = Math.exp(row[j] - maximum); sum += row[j]; j += 1 }
                sum += sums.sum()
                losses[i] = maximum + Math.log(sum) - target
                let k = scale / sum
                j = 0
                while j + 8 <= V { VectorMath.store(VectorMath.load(row + j) * k, row + j); j += 8 }
                while j < V { row[j] *= k; j += 1 }
                row[Int(y)] -= scale
            }
        }
        rowLosses?.update(from: losses, count: N)
        var total: Double = 0, correct = 0
        for i in 0..<N {
            total += Double(losses[i])
            if hits[i] { correct += 1 }
        }
        return TokenLoss(loss: counted == 0 ? 0 : Float(total / Double(counted)), correct: correct, scored: counted)
    }
}

/// A language-model loss with its token accuracy: the mean loss over the `scored` positions and
/// how many of them had the target as the top logit.
public struct TokenLoss: Sendable {
    public var loss: Float
    public var correct: Int
    public var scored: Int

    public init(loss: Float, correct: Int, scored: Int) { (self.loss, self.correct, self.scored) = (loss, correct, scored) }

    /// OpenAI's mean token accuracy.
    public var accuracy: Double { scored == 0 ? 0 : Double(correct) / Double(scored) }
}
