import Inference
import Platform
import Testing

@Suite struct SamplerTests {
    let logits: [Float] = [1.0, 3.0, 2.0, -1.0]

    @Test func greedyWhenTemperatureIsZeroOrTopKIsOne() {
        #expect(Sampler(temperature: 0).next(logits, previous: []) == 1)
        for seed in 0..<20 as Range<UInt64> {
            #expect(Sampler(temperature: 1, topK: 1, seed: seed).next(logits, previous: []) == 1)
            #expect(Sampler(temperature: 1, topP: 0.01, seed: seed).next(logits, previous: []) == 1)
        }
    }

    /// A diverged model's NaN scores are never drawn; all NaN gives token 0 rather than a crash.
    @Test func nanScoresAreNeverDrawn() {
        for seed in 0..<20 as Range<UInt64> {
            let token = Sampler(temperature: 1, seed: seed).next([.nan, 1, .nan, 2], previous: [])
            #expect(token == 1 || token == 3)
        }
        #expect(Sampler(temperature: 0.7, seed: 1).next([.nan, .nan], previous: []) == 0)
    }

    /// HF's rule: a seen token's positive logit is divided by the penalty, a negative one multiplied.
    @Test func repetitionPenaltyDemotesSeenTokens() {
        #expect(Sampler(temperature: 0, repetitionPenalty: 2).next(logits, previous: [1, 1]) == 2)
        #expect(Sampler(temperature: 0, repetitionPenalty: 1).next(logits, previous: [1]) == 1)
    }

    /// Draws follow the softmax: logits (0, ln 3) give the second token three times in four.
    @Test func drawsFollowTheSoftmaxAndTheSeed() {
        let pair: [Float] = [0, Float(Math.log(3.0))]
        var second = 0
        for seed in 0..<4000 as Range<UInt64> where Sampler(seed: seed).next(pair, previous: []) == 1 { second += 1 }
        #expect(abs(Double(second) / 4000 - 0.75) < 0.03, "\(second) of 4000")
        // Higher temperature flattens it toward one half.
        var hot = 0
        for seed in 0..<4000 as Range<UInt64> where Sampler(temperature: 100, seed: seed).next(pair, previous: []) == 1 { hot += 1 }
        #expect(abs(Double(hot) / 4000 - 0.5) < 0.04, "\(hot) of 4000")
        let a = Sampler(seed: 9), b = Sampler(seed: 9)
        #expect((0..<50).map { a.next(logits, previous: [Int32](repeating: 0, count: $0)) } ==
                (0..<50).map { b.next(logits, previous: [Int32](repeating: 0, count: $0)) })
    }

    /// top-k 2 never picks outside the two best, top-p 0.7 never outside the smallest set
    /// holding 70% of the mass (here the best two: 0.657 + 0.242).
    @Test func topKAndTopPCut() {
        for seed in 0..<300 as Range<UInt64> {
            #expect([1, 2].contains(Sampler(topK: 2, seed: seed).next(logits, previous: [])))
            #expect([1, 2].contains(Sampler(topP: 0.7, seed: seed).next(logits, previous: [])))
        }
    }
}
