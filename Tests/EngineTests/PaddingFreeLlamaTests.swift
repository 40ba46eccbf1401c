import Tensor
import Testing
@testable import Engine

/// Llama trains padding-free: each sequence of a padded batch runs up to its last scored
/// position, packed. A batch of mixed lengths must give what its sequences give one by one:
/// the batch's mean loss and gradients are the scored-token-weighted means of theirs.
@Suite struct PaddingFreeLlamaTests {
    @Test(arguments: [false, true])
    func mixedLengthsMatchOneByOne(lora useLoRA: Bool) throws {
        let model = try Llama.load(folder: Fixtures.root + "/Tests/EngineTests/Fixtures/tiny-llama", maxT: 16)
        let sequences: [[Int32]] = [[1, 5, 17, 7, 7, 60, 2, 95], [3, 40, 41], [9, 8, 7, 6, 5]]
        // The next token is scored after a 2-token prompt, and never past the sequence.
        func targets(_ s: [Int32]) -> [Int32] { (0..<s.count).map { $0 >= 1 && $0 + 1 < s.count ? s[$0 + 1] : -100 } }
        let T = 8, B = sequences.count
        var ids: [Int32] = [], padded: [Int32] = []
        for s in sequences {
            ids += s + [Int32](repeating: 0, count: T - s.count)
            padded += targets(s) + [Int32](repeating: -100, count: T - s.count)
        }
        let lora = useLoRA ? try LoRA(layout: model.loraLayout, config: LoRAConfig(r: 2, alpha: 4, targets: ["q_proj", "v_proj", "down_proj"]), seed: 3) : nil
        if let lora { for i in 0..<lora.params.count { lora.params.pointer[i] = Float((i * 37) % 11) / 50 - 0.1 } }
        let full = Arena(count: LlamaParameters.count(model.config))
        func gradients() -> [Float] { lora.map { Array($0.grads.buffer) } ?? Array(full.buffer) }
        func reset() { full.zero(); lora?.grads.zero() }

        reset()
        let batch = model.lossAndGradients(ids, targets: padded, B: B, T: T, into: lora == nil ? full : nil, lora: lora, objective: .mean(dloss: 1))
        let together = gradients()
        let counts = sequences.map { targets($0).filter { $0 != -100 }.count }, total = counts.reduce(0, +)
        #expect(batch.scored == total)
        reset()
        var weighted: Float = 0
        for (s, count) in zip(sequences, counts) {
            let weight = Float(count) / Float(total)
            let alone = model.lossAndGradients(s, targets: targets(s), B: 1, T: s.count, into: lora == nil ? full : nil, lora: lora,
                                               objective: .mean(dloss: weight))
            weighted += weight * alone.loss
        }
        #expect(abs(batch.loss - weighted) < 1e-5, "\(batch.loss) against \(weighted)")
        let oneByOne = gradients()
        let worst = zip(together, oneByOne).map { abs($0 - $1) / max(abs($1), 1e-3) }.max() ?? 0
        #expect(together.contains { $0 != 0 } && worst < 1e-4, "gradients differ by \(worst) (relative)")
        // Evaluation (forward only) packs the same way.
        #expect(abs(model.loss(ids, targets: padded, B: B, T: T, lora: lora).loss - batch.loss) < 1e-6)
    }
}
