import Engine
import Platform

/// One token of a scored prompt: its log-probability after the tokens before it, and the `top`
/// likeliest tokens there with theirs, likeliest first.
public struct TokenScore: Sendable {
    public var logprob: Double
    public var top: [(id: Int, logprob: Double)]

    /// `token`'s score in a row of next-token logits, in one pass over the row for the
    /// normalizer and one for the `k` likeliest (ties: the lower id first).
    init(_ row: UnsafeBufferPointer<Float>, token: Int, top k: Int) {
        var largest = -Float.infinity
        for value in row { largest = max(largest, value) }
        var total = 0.0
        for value in row { total += Math.exp(Double(value - largest)) }
        let normalizer = Double(largest) + Math.log(total)
        var best: [(id: Int, value: Float)] = []
        best.reserveCapacity(k + 1)
        if k > 0 {
            for (id, value) in row.enumerated() where best.count < k || value > best[best.count - 1].value {
                best.insert((id, value), at: best.firstIndex { value > $0.value } ?? best.count)
                if best.count > k { best.removeLast() }
            }
        }
        logprob = Double(row[token]) - normalizer
        top = best.map { ($0.id, Double($0.value) - normalizer) }
    }
}

extension ServedModel {
    /// Scores `ids` through this request's adapter: each token after the first gets its
    /// log-probability after the tokens before it and the `k` likeliest there. It runs the cached
    /// prefill a block of positions at a time (memory grows with the prompt, not its square),
    /// one prompt at a time per model, so scoring cannot crowd out the decode batches.
    public func score(_ ids: [Int32], top k: Int) -> [TokenScore] {
        guard ids.count > 1 else { return [] }
        return model.scoring.withLock { _ in
            let session = model.model.session(lora: adapter as? LoRA, prefix: adapter as? PrefixTuning, capacity: ids.count)
            var scores: [TokenScore] = []
            scores.reserveCapacity(ids.count - 1)
            session.score(Array(ids.dropLast())) { t, row in scores.append(TokenScore(row, token: Int(ids[t + 1]), top: k)) }
            return scores
        }
    }
}
