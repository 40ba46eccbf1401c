import Tensor
import Testing
@testable import Engine

@Suite(.serialized) struct DeterminismTests {
    /// N training steps with dropout on, twice from the same seed, data and thread count.
    func train(seed: UInt64, steps: Int = 4, B: Int = 3, T: Int = 5) throws -> [Float] {
        let model = TinyBert.make(B: B, T: T)
        model.training = true
        model.seed = seed
        let schedule = LRSchedule(kind: .linear, learningRate: 1e-2, totalSteps: steps, warmupSteps: 1)
        let trained = TinyBert.optimizer(model)
        for step in 0..<steps {
            model.zeroGradients()
            try model.forward(TinyBert.batch(B: B, T: T))
            try model.backward()
            _ = trained.step(lr: schedule.rate(at: step), maxGradNorm: 1)
            model.step = trained.optimizer.step
        }
        return model.params.floats
    }

    @Test func sameSeedSameBits() throws {
        let first = try train(seed: 42), second = try train(seed: 42)
        #expect(first == second, "weights differ after identical runs")
        #expect(first != (try train(seed: 43)), "the dropout seed has no effect")
        #expect(first != TinyBert.make().params.floats, "training did not move the weights")
    }

    /// The team may be busy: a call that finds it so runs the same parts on its own thread, so
    /// a training beside another one in the process (or a request) keeps its bits. The batch
    /// of 160 rows (20 × 8) splits the GEMMs over the team.
    @Test func busyTeamKeepsTheBits() throws {
        try Parallel.withThreads(3) {
            let free = try train(seed: 9, steps: 2, B: 20, T: 8)
            var busy: [Float] = []
            var failure: (any Error)?
            // Train inside part 0 of a team job: every op of that training finds the team taken.
            Parallel.forParts(6) { part, _ in
                guard part == 0 else { return }
                do { busy = try train(seed: 9, steps: 2, B: 20, T: 8) } catch { failure = error }
            }
            #expect(failure == nil)
            #expect(busy == free, "a busy team changed the weights")
        }
    }

    /// Gradient accumulation: two backward passes with dloss = 1/2 give the gradients of one.
    @Test func accumulation() throws {
        let model = TinyBert.make()
        model.zeroGradients()
        try model.forward(TinyBert.batch())
        try model.backward()
        let once = model.grads!.floats
        model.zeroGradients()
        for _ in 0..<2 {
            try model.forward(TinyBert.batch())
            try model.backward(dloss: 0.5)
        }
        let twice = model.grads!.floats
        let worst = zip(once, twice).map { abs($0 - $1) / max(abs($0), 1e-3) }.max() ?? 0
        #expect(worst < 1e-5, "accumulated gradients differ by \(worst)")
    }

    /// The whole model's backward against finite differences of its loss, for a few parameters
    /// of every kind (dropout on: the masks are fixed by the seed and step), with and without
    /// `firstTokenOnly`.
    @Test(arguments: [false, true]) func modelGradient(firstTokenOnly: Bool) throws {
        let model = TinyBert.make()
        model.firstTokenOnly = firstTokenOnly
        model.training = true
        model.seed = 5
        let batch = TinyBert.batch()
        model.zeroGradients()
        try model.forward(batch)
        try model.backward()
        let p = model.parameters, g = model.gradients!
        let probes: [(TensorSlice, TensorSlice)] = [
            (p.wte, g.wte), (p.wpe, g.wpe), (p.embLNw, g.embLNw), (p.qkvw, g.qkvw), (p.qkvb, g.qkvb),
            (p.attprojw, g.attprojw), (p.ln1b, g.ln1b), (p.fcw, g.fcw), (p.fcprojb, g.fcprojb),
            (p.ln2w, g.ln2w), (p.poolw, g.poolw), (p.clsw, g.clsw), (p.clsb, g.clsb),
        ]
        let h: Float = 1e-2
        var difference: Double = 0, reference: Double = 0
        for (param, grad) in probes {
            for i in stride(from: 0, to: param.count, by: max(1, param.count / 7)) {
                let saved = param.pointer[i]
                param.pointer[i] = saved + h
                try model.forward(batch)
                let plus = Double(model.loss)
                param.pointer[i] = saved - h
                try model.forward(batch)
                let minus = Double(model.loss)
                param.pointer[i] = saved
                let numeric = (plus - minus) / Double(2 * h)
                difference += (numeric - Double(grad.pointer[i])) * (numeric - Double(grad.pointer[i]))
                reference += numeric * numeric
            }
        }
        let error = difference.squareRoot() / reference.squareRoot()
        #expect(error < 1e-2, "whole-model gradient error \(error)")
    }
}
