import Tensor
import Testing
@testable import Engine

/// `firstTokenOnly` runs only the first token's row through the rest of the last layer: the
/// logits, loss and every gradient must be those of the whole computation (dropout off), for
/// full fine-tuning and for LoRA, and an inference model's logits likewise. (With dropout on,
/// DeterminismTests.modelGradient checks it against finite differences.)
@Suite struct FirstTokenTests {
    func run(firstTokenOnly: Bool, lora: Bool, paddingFree: Bool = true, B: Int, T: Int) throws -> (logits: [Float], loss: Float, grads: [Float], hidden: [Float]) {
        let model: Bert
        if lora {
            model = Bert(config: TinyBert.config, maxB: B, maxT: T, trainable: true, frozen: true)
            let full = TinyBert.make(B: B, T: T)
            _ = model.params.buffer.update(fromContentsOf: full.params.buffer)
            let adapter = try LoRA(layout: TinyBert.config.loraLayout, config: LoRAConfig(r: 2, alpha: 4, targets: ["query", "value", "dense"]), seed: 4)
            // PEFT starts B at zero; give it values so the adapters' paths carry gradient both ways.
            for i in 0..<adapter.params.count { adapter.params.pointer[i] = Float((i * 37) % 11) / 50 - 0.1 }
            model.lora = adapter
        } else {
            model = TinyBert.make(B: B, T: T)
        }
        model.firstTokenOnly = firstTokenOnly
        model.paddingFree = paddingFree
        model.zeroGradients()
        try model.forward(TinyBert.batch(B: B, T: T))
        try model.backward()
        let head = model.gradients!.clsw
        let grads = lora ? model.lora!.grads.floats + Array(UnsafeBufferPointer(start: head.pointer, count: head.count)) : model.grads!.floats
        return (Array(model.logits), model.loss, grads, model.hiddenState)
    }

    /// Padding-free (the row-wise steps on the real tokens only) against the padded layout, on
    /// TinyBert's batch of lengths 5, 4 and 3 (and 6 sequences of 7 down to 2): the same logits,
    /// loss, gradients and hidden state on the real tokens.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func paddingFreeIsThePaddedComputation(firstTokenOnly: Bool, lora: Bool) throws {
        for (B, T) in [(3, 5), (6, 7)] {
            let padded = try run(firstTokenOnly: firstTokenOnly, lora: lora, paddingFree: false, B: B, T: T)
            let free = try run(firstTokenOnly: firstTokenOnly, lora: lora, B: B, T: T)
            #expect(zip(padded.logits, free.logits).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(padded.logits) vs \(free.logits)")
            #expect(abs(padded.loss - free.loss) <= 1e-6)
            let worst = zip(padded.grads, free.grads).map { abs($0 - $1) / max(abs($0), 1e-3) }.max() ?? 0
            #expect(padded.grads.contains { $0 != 0 } && worst < 1e-5, "gradients differ by \(worst) (relative)")
            let mask = TinyBert.batch(B: B, T: T).mask, C = TinyBert.config.hiddenSize
            for (row, keep) in (firstTokenOnly ? Array(repeating: 1, count: B) : mask).enumerated() where keep != 0 {
                for c in 0..<C { #expect(abs(padded.hidden[row * C + c] - free.hidden[row * C + c]) <= 1e-6, "row \(row)") }
            }
        }
    }

    @Test(arguments: [(false, 3, 5), (true, 3, 5), (false, 4, 1), (false, 1, 8)])
    func sameAsTheWholeComputation(lora: Bool, B: Int, T: Int) throws {
        let whole = try run(firstTokenOnly: false, lora: lora, B: B, T: T)
        let first = try run(firstTokenOnly: true, lora: lora, B: B, T: T)
        #expect(zip(whole.logits, first.logits).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(whole.logits) vs \(first.logits)")
        #expect(abs(whole.loss - first.loss) <= 1e-6)
        #expect(whole.grads.contains { $0 != 0 })
        let worst = zip(whole.grads, first.grads).map { abs($0 - $1) / max(abs($0), 1e-3) }.max() ?? 0
        #expect(worst < 1e-4, "gradients differ by \(worst) (relative)")
    }

    /// Inference models reuse one activation slot for every layer.
    @Test func inferenceModel() throws {
        let trained = TinyBert.make()
        var logits: [[Float]] = []
        for first in [false, true] {
            let model = Bert(config: TinyBert.config, maxB: 3, maxT: 5, trainable: false)
            _ = model.params.buffer.update(fromContentsOf: trained.params.buffer)
            model.firstTokenOnly = first
            try model.forward(TinyBert.batch())
            logits.append(Array(model.logits))
            #expect(model.hiddenState.count == (first ? 3 : 15) * TinyBert.config.hiddenSize)
        }
        #expect(zip(logits[0], logits[1]).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(logits)")
    }
}
