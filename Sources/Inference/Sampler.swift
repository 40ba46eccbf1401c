import Engine
import Platform

/// Picks the next token from logits, as Hugging Face's `generate` does with these settings:
/// repetition penalty over the tokens so far, then temperature, top-k and top-p (nucleus),
/// then a draw. Temperature 0 is greedy. The draw for the token at position `p` uses a
/// counter-based generator on (seed, p), so a seed gives the same text whatever was batched.
public struct Sampler: Sendable {
    public var temperature: Double
    public var topK: Int?
    public var topP: Double
    public var repetitionPenalty: Double
    public var seed: UInt64

    public init(temperature: Double = 1, topK: Int? = nil, topP: Double = 1, repetitionPenalty: Double = 1, seed: UInt64 = 0) {
        (self.temperature, self.topK, self.topP, self.repetitionPenalty, self.seed) = (temperature, topK, topP, repetitionPenalty, seed)
    }

    /// The next token after `previous` (the prompt and the tokens generated so far).
    public func next(_ logits: [Float], previous: [Int32]) -> Int32 {
        var scores = logits.map(Double.init)
        if repetitionPenalty != 1 {
            for id in Set(previous) where Int(id) < scores.count {
                let x = scores[Int(id)]
                scores[Int(id)] = x > 0 ? x / repetitionPenalty : x * repetitionPenalty
            }
        }
        if temperature == 0 { return Int32(scores.indices.max { scores[$0] < scores[$1] }!) }
        // Candidates by score, highest first (ties by id, so the order is total). Tokens more than
        // 40 nats below the best (weight < 4e-18 of its) cannot be drawn in double precision's
        // sums: they are left out before sorting, which keeps the sort to the few that matter.
        // A model that diverged gives NaN scores: they are never candidates (and all-NaN gives token 0).
        guard let best = scores.filter({ !$0.isNaN }).max() else { return 0 }
        let floor = best - 40 * temperature
        var order = scores.indices.filter { scores[$0] >= floor }
        order.sort { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        if let topK, topK > 0 { order = Array(order.prefix(topK)) }
        let top = scores[order[0]] / temperature
        var weights = order.map { Math.exp(scores[$0] / temperature - top) }
        let total = weights.reduce(0, +)
        if topP < 1 {
            var kept = 0, mass = 0.0
            while kept < weights.count && (kept == 0 || mass < topP * total) {
                mass += weights[kept]
                kept += 1
            }
            (order, weights) = (Array(order.prefix(kept)), Array(weights.prefix(kept)))
        }
        let draw = Double(SplitMix.hash(seed: seed, index: previous.count) >> 11) / Double(1 << 53) * weights.reduce(0, +)
        var sum = 0.0
        for (id, weight) in zip(order, weights) {
            sum += weight
            if draw < sum { return Int32(id) }
        }
        return Int32(order.last!)
    }
}
