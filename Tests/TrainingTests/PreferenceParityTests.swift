@testable import Engine
import Platform
import Tensor
import Testing
import TestSupport
@testable import Training

/// DPO (sigmoid, IPO, hinge, robust) and ORPO against TRL 1.16 on the tiny Llama
/// (scripts/fixtures/tiny-llama-preference.py): the loss, TRL's metrics and the gradients of a
/// LoRA policy whose reference is the base with the adapters off, and of a full fine-tune.
@Suite("Preference losses: parity with TRL")
struct PreferenceParityTests {
    static let folder = repositoryRoot + "/Tests/EngineTests/Fixtures/"
    let model: Llama
    let fixture: SafeTensors

    init() throws {
        model = try Llama.load(folder: Self.folder + "tiny-llama", maxT: 16)
        fixture = try SafeTensors(path: Self.folder + "tiny-llama-preference.safetensors")
    }

    func lora() throws -> LoRA {
        let lora = try LoRA(layout: model.loraLayout, config: LoRAConfig(r: 4, alpha: 8, targets: ["q_proj", "v_proj"]))
        for (name, pointer, _) in lora.peftTensors() { try fixture.read("lora/" + name, into: pointer) }
        return lora
    }

    /// A stacked batch: rows, targets (position t predicts ids[t+1] where `scored(row, t + 1)`),
    /// and each scored token's sequence and whether it is an answer token.
    func batch(_ prefix: String, scored: (Int, Int) -> Bool, completion: (Int, Int) -> Bool) throws -> (ids: [Int32], targets: [Int32], T: Int, tokens: PreferenceLoss.Tokens) {
        let shape = try #require(fixture[prefix + "ids"]?.shape)
        let ids = try fixture.integers(prefix + "ids").map(Int32.init), T = shape[1]
        var targets = [Int32](repeating: -100, count: ids.count), tokens = PreferenceLoss.Tokens()
        for row in 0..<shape[0] {
            for t in 0..<(T - 1) where scored(row, t + 1) {
                targets[row * T + t] = ids[row * T + t + 1]
                tokens.sequence.append(row)
                tokens.completion.append(completion(row, t + 1))
            }
        }
        return (ids, targets, T, tokens)
    }

    func dpoBatch() throws -> (ids: [Int32], targets: [Int32], T: Int, tokens: PreferenceLoss.Tokens) {
        let mask = try fixture.integers("dpo/completion"), T = try #require(fixture["dpo/ids"]?.shape[1])
        return try batch("dpo/", scored: { mask[$0 * T + $1] == 1 }, completion: { _, _ in true })
    }

    /// The summed answer log-probabilities of each sequence under `lora` (nil: the base).
    func sequenceLogps(_ b: (ids: [Int32], targets: [Int32], T: Int, tokens: PreferenceLoss.Tokens), lora: LoRA?) -> [Double] {
        var sums = [Double](repeating: 0, count: 4)
        _ = model.loss(b.ids, targets: b.targets, B: 4, T: b.T, lora: lora, objective: .custom { logps in
            for (i, logp) in logps.enumerated() { sums[b.tokens.sequence[i]] += Double(logp) }
            return (0, [Float](repeating: 0, count: logps.count))
        })
        return sums
    }

    func expectClose(_ ours: Double, _ name: String, tolerance: Double = 1e-5) throws {
        let theirs = Double(try fixture.floats(name)[0])
        #expect(abs(ours - theirs) <= tolerance * max(abs(theirs), 1e-2), "\(name): \(ours) against TRL's \(theirs)")
    }

    @Test("DPO on a LoRA policy: loss, rewards and the adapters' gradients equal TRL's", arguments: ["sigmoid", "ipo", "hinge", "robust"])
    func dpoWithLoRA(kind: String) throws {
        let lora = try lora(), b = try dpoBatch()
        let reference = sequenceLogps(b, lora: nil)
        var objective = PreferenceLoss(try #require(PreferenceLoss.Kind(rawValue: kind)), beta: 0.1)
        if kind == "robust" { objective.labelSmoothing = 0.1 }
        var result: PreferenceLoss.Result?
        lora.grads.zero()
        let loss = model.lossAndGradients(b.ids, targets: b.targets, B: 4, T: b.T, into: nil, lora: lora, objective: .custom { logps in
            let r = objective.evaluate(logps: logps, tokens: b.tokens, pairs: 2, reference: reference)
            result = r
            return (Float(r.loss), r.dlogps)
        }).loss
        let r = try #require(result)
        try expectClose(Double(loss), "\(kind)/loss")
        for (name, value) in r.metrics { try expectClose(value, "\(kind)/\(name)", tolerance: 1e-4) }
        for (name, pointer, shape) in lora.peftTensors(in: lora.grads) {
            let error = try Self.relativeError(pointer, shape, try fixture.floats("\(kind)/grad/" + name))
            #expect(error < 1e-5, "\(name): relative gradient error \(error)")
        }
    }

    @Test("DPO of the whole model against its copy: loss ln 2 and every parameter's gradient equal TRL's")
    func dpoFullFineTune() throws {
        let b = try dpoBatch(), reference = sequenceLogps(b, lora: nil)
        let objective = PreferenceLoss(.sigmoid, beta: 0.1), grads = Arena(count: LlamaParameters.count(model.config))
        let loss = model.lossAndGradients(b.ids, targets: b.targets, B: 4, T: b.T, into: grads, lora: nil, objective: .custom { logps in
            let r = objective.evaluate(logps: logps, tokens: b.tokens, pairs: 2, reference: reference)
            return (Float(r.loss), r.dlogps)
        }).loss
        try expectClose(Double(loss), "full/loss")
        for (name, target) in Llama.hfTensors(LlamaParameters(arena: grads, config: model.config), config: model.config) {
            let (pointer, shape) = target.destination
            let error = try Self.relativeError(pointer, shape, try fixture.floats("full/grad/" + name))
            #expect(error < 1e-5, "\(name): relative gradient error \(error)")
        }
    }

    @Test("ORPO on a LoRA policy: loss, NLL, log-odds, rewards and gradients equal TRL's")
    func orpo() throws {
        let lora = try lora()
        let labels = try fixture.integers("orpo/labels"), mask = try fixture.integers("orpo/mask")
        let T = try #require(fixture["orpo/ids"]?.shape[1])
        // Chosen rows score every real token (the NLL); rejected rows only their answer.
        let b = try batch("orpo/", scored: { row, t in row < 2 ? mask[row * T + t] == 1 : labels[row * T + t] != -100 },
                          completion: { row, t in labels[row * T + t] != -100 })
        var result: PreferenceLoss.Result?
        let loss = model.lossAndGradients(b.ids, targets: b.targets, B: 4, T: T, into: nil, lora: lora, objective: .custom { logps in
            let r = PreferenceLoss(.orpo, beta: 0.1).evaluate(logps: logps, tokens: b.tokens, pairs: 2, reference: nil)
            result = r
            return (Float(r.loss), r.dlogps)
        }).loss
        try expectClose(Double(loss), "orpo/loss")
        for (name, value) in try #require(result).metrics { try expectClose(value, "orpo/\(name)", tolerance: 1e-4) }
        for (name, pointer, shape) in lora.peftTensors(in: lora.grads) {
            let error = try Self.relativeError(pointer, shape, try fixture.floats("orpo/grad/" + name))
            #expect(error < 1e-5, "\(name): relative gradient error \(error)")
        }
    }

    static func relativeError(_ pointer: UnsafeMutablePointer<Float>, _ shape: [Int], _ theirs: [Float]) throws -> Double {
        let ours = UnsafeBufferPointer(start: pointer, count: shape.reduce(1, *))
        try #require(ours.count == theirs.count)
        let difference = zip(ours, theirs).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        return difference / max(theirs.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot(), 1e-12)
    }
}
