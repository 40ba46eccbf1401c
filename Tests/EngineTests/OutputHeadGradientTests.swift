import Testing
@testable import Engine

/// The output layer with its loss, against finite differences: the mean cross-entropy of
/// supervised training, and a custom objective of the scored tokens' log-probabilities (as DPO
/// and ORPO use), both into the hidden states and the weight, over rows some of which are unscored.
@Suite struct OutputHeadGradientTests {
    static let targets: [Int32] = [3, -100, 10, 0, -100]

    /// A nonlinear objective: Σ a_i·log p_i + ¼(Σ log p_i)², with its derivative.
    static func objective(_ logps: [Float], scale: Float) -> (value: Float, dlogps: [Float]) {
        let a: [Float] = [0.7, -1.3, 0.4]
        let sum = logps.reduce(0, +)
        let value = zip(a, logps).map { $0 * $1 }.reduce(0, +) + 0.25 * sum * sum
        return (value, a.map { scale * ($0 + 0.5 * sum) })
    }

    @Test(arguments: [false, true]) func outputHead(custom: Bool) {
        let (N, C, V) = (5, 6, 11), targets = Self.targets
        var rng = TestRandom(21)
        let h = Buffer(random: N * C, &rng), dh = Buffer(N * C)
        let weight = Buffer(random: V * C, &rng, scale: 0.8), dweight = Buffer(V * C), loss = Buffer(1)
        func objective(_ scale: Float) -> TokenObjective {
            custom ? .custom { Self.objective($0, scale: scale) } : .mean(dloss: scale)
        }
        checkGradients(custom ? "output head, custom objective" : "output head, mean cross-entropy", output: loss, inputs: [(h, dh), (weight, dweight)]) {
            loss[0] = OutputHead.lossAndGradients(h: h.pointer, dh: nil, weight: weight.pointer, dweight: nil,
                                                  targets: targets, N: N, C: C, V: V, objective: objective(1)).loss
        } backward: { dout in
            _ = OutputHead.lossAndGradients(h: h.pointer, dh: dh.pointer, weight: weight.pointer, dweight: dweight.pointer,
                                            targets: targets, N: N, C: C, V: V, objective: objective(dout[0]))
        }
    }
}
