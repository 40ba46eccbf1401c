import Tensor

// A language model's output layer with its loss, forward and backward at once, over only the
// rows that have a target: prompt and padding positions (-100) get no logits at all, which
// saves most of the largest GEMMs on chat data. N: rows, C: hidden, V: vocabulary.
// h: (N, C) the final norm's output; weight: (V, C); dh: (N, C), accumulated (nil: the loss
// alone, for evaluation); dweight: (V, C), accumulated (nil when the output layer is frozen).
// `objective`: the mean cross-entropy (supervised) or a loss of the scored rows' log-probabilities.
public enum OutputHead {
    public static func lossAndGradients(
        h: UnsafePointer<Float>, dh: UnsafeMutablePointer<Float>?, weight: UnsafePointer<Float>, dweight: UnsafeMutablePointer<Float>?,
        targets: [Int32], N: Int, C: Int, V: Int, dloss: Float, ignoreIndex: Int32 = -100
    ) -> TokenLoss {
        lossAndGradients(h: h, dh: dh, weight: weight, dweight: dweight, targets: targets, N: N, C: C, V: V,
                         objective: .mean(dloss: dloss), ignoreIndex: ignoreIndex)
    }

    public static func lossAndGradients(
        h: UnsafePointer<Float>, dh: UnsafeMutablePointer<Float>?, weight: UnsafePointer<Float>, dweight: UnsafeMutablePointer<Float>?,
        targets: [Int32], N: Int, C: Int, V: Int, objective: TokenObjective, ignoreIndex: Int32 = -100
    ) -> TokenLoss {
        let rows = (0..<N).filter { targets[$0] != ignoreIndex }, n = rows.count
        guard n > 0 else { return TokenLoss(loss: 0, correct: 0, scored: 0) }
        let compact = n < N
        // The scored rows side by side (or h itself when every row is scored).
        let gathered = compact ? UnsafeMutablePointer<Float>.allocate(capacity: n * C) : nil
        let dgathered = compact && dh != nil ? UnsafeMutablePointer<Float>.allocate(capacity: n * C) : nil
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: n * V)
        defer { gathered?.deallocate(); dgathered?.deallocate(); logits.deallocate() }
        if let gathered {
            for (i, row) in rows.enumerated() { (gathered + i * C).update(from: h + row * C, count: C) }
        }
        dgathered?.initialize(repeating: 0, count: n * C)
        let inp = gathered.map { UnsafePointer($0) } ?? h
        Matmul.forward(out: logits, inp: inp, weight: weight, bias: nil, N: n, C: C, OC: V)
        // The logits become their gradient in place.
        let scoredTargets = rows.map { targets[$0] }
        var result: TokenLoss
        switch objective {
        case .mean(let dloss):
            result = CrossEntropy.fused(logits: logits, targets: scoredTargets, N: n, V: V, dloss: dloss, ignoreIndex: ignoreIndex)
        case .custom(let loss):
            // Each row's cross-entropy is −log p(target); its gradient at scale 1 is softmax −
            // onehot, so d objective / d logits = −(d objective / d log p) · that.
            var losses = [Float](repeating: 0, count: n)
            result = losses.withUnsafeMutableBufferPointer { out in
                CrossEntropy.fused(logits: logits, targets: scoredTargets, N: n, V: V, dloss: Float(n), ignoreIndex: ignoreIndex, rowLosses: out.baseAddress)
            }
            let (value, dlogps) = loss(losses.map { -$0 })
            precondition(dlogps.count == n, "OutputHead: \(dlogps.count) derivatives for \(n) scored rows")
            result.loss = value
            guard dh != nil else { return result }
            Parallel.forRanges(n, grain: 1) { range in
                for i in range {
                    let row = logits + i * V, scale = -dlogps[i]
                    for j in 0..<V { row[j] *= scale }
                }
            }
        }
        guard let dh else { return result }
        Matmul.backward(dinp: dgathered ?? dh, dweight: dweight, dbias: nil, dout: logits, inp: inp, weight: weight, N: n, C: C, OC: V)
        if let dgathered {
            for (i, row) in rows.enumerated() {
                let to = dh + row * C, from = dgathered + i * C
                for k in 0..<C { to[k] += from[k] }
            }
        }
        return result
    }
}
