import Testing
import Tensor
@testable import Engine

@Suite struct OptimTests {
    @Test func schedules() {
        let linear = LRSchedule(kind: .linear, learningRate: 1, totalSteps: 10, warmupSteps: 2)
        #expect(linear.rate(at: 0) == 0)
        #expect(linear.rate(at: 1) == 0.5)
        #expect(linear.rate(at: 2) == 1)
        #expect(linear.rate(at: 6) == 0.5)
        #expect(linear.rate(at: 10) == 0)
        let cosine = LRSchedule(kind: .cosine, learningRate: 2, totalSteps: 12, warmupRatio: 0.1)
        #expect(cosine.warmupSteps == 2)
        #expect(cosine.rate(at: 2) == 2)
        #expect(abs(cosine.rate(at: 7) - 1) < 1e-12)
        #expect(abs(cosine.rate(at: 12)) < 1e-12)
        #expect(LRSchedule(kind: .constant, learningRate: 3, totalSteps: 5, warmupSteps: 2).rate(at: 0) == 3)
        let warm = LRSchedule(kind: .constantWithWarmup, learningRate: 4, totalSteps: 5, warmupSteps: 4)
        #expect(warm.rate(at: 1) == 1 && warm.rate(at: 4) == 4 && warm.rate(at: 100) == 4)
        #expect(LRSchedule.Kind(rawValue: "constant_with_warmup") == .constantWithWarmup)
    }

    /// AdamW against the textbook update in Double, over three steps with decay on one group.
    @Test func adamw() {
        let n = 6
        let params = Arena(count: n), grads = Arena(count: n), m = Arena(count: n), v = Arena(count: n)
        var reference = [Double](repeating: 0, count: n), rm = reference, rv = reference
        for i in 0..<n { params.pointer[i] = Float(i) * 0.25 - 0.5; reference[i] = Double(params.pointer[i]) }
        var optimizer = AdamW(weightDecay: 0.1)
        let lr = 0.01
        for step in 1...3 {
            for i in 0..<n { grads.pointer[i] = Float(i % 3) * 0.3 - 0.2 + Float(step) * 0.05 }
            optimizer.update(params: params, grads: grads, m: m, v: v, groups: [(0..<4, true), (4..<6, false)], lr: lr)
            for i in 0..<n {
                let g = Double(grads.pointer[i])
                if i < 4 { reference[i] *= 1 - lr * 0.1 }
                rm[i] = 0.9 * rm[i] + 0.1 * g
                rv[i] = 0.999 * rv[i] + 0.001 * g * g
                let mhat = rm[i] / (1 - pow(0.9, step)), vhat = rv[i] / (1 - pow(0.999, step))
                reference[i] -= lr * mhat / (vhat.squareRoot() + 1e-8)
            }
        }
        for i in 0..<n { #expect(abs(Double(params.pointer[i]) - reference[i]) < 1e-6, "param \(i)") }
        #expect(optimizer.step == 3)
    }

    @Test func clipping() {
        let grads = Arena(count: 4)
        grads.pointer[0] = 3; grads.pointer[1] = 4; grads.pointer[3] = 100
        let norm = GradientClipping.clip(grads: grads, ranges: [0..<2], maxNorm: 1)
        #expect(norm == 5)
        #expect(abs(grads.pointer[0] - 0.6) < 1e-6 && abs(grads.pointer[1] - 0.8) < 1e-6)
        #expect(grads.pointer[3] == 100, "outside the ranges: untouched")
        #expect(GradientClipping.clip(grads: grads, ranges: [0..<2], maxNorm: 10) < 1.0001)
        #expect(abs(grads.pointer[0] - 0.6) < 1e-6, "below the limit: untouched")
    }

    private func pow(_ x: Double, _ n: Int) -> Double { (0..<n).reduce(1) { r, _ in r * x } }
}
