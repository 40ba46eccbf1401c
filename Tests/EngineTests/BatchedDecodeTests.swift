import Tensor
import Testing
@testable import Engine

/// Sequences with different adapters (and none) decoded together in one batch give the logits
/// each gives alone, for every model that serves completions.
@Suite struct BatchedDecodeTests {
    static func models() throws -> [(String, any CausalLM)] {
        [("llama", try Llama.load(folder: Fixtures.root + "/Tests/EngineTests/Fixtures/tiny-llama", maxT: 32)),
         ("gpt2", try GPT2.load(folder: Fixtures.root + "/Tests/EngineTests/Fixtures/tiny-gpt2"))]
    }

    @Test func batchedDecodeMatchesOneByOne() throws {
        for (name, model) in try Self.models() {
            let targets = model.loraLayout.defaults
            func adapter(_ seed: UInt64, _ targets: [String]) throws -> LoRA {
                let lora = try LoRA(layout: model.loraLayout, config: LoRAConfig(r: 4, alpha: 8, targets: targets), seed: seed)
                for i in 0..<lora.params.count { lora.params.pointer[i] = Float(Int(SplitMix.hash(seed: seed, index: i) % 2001) - 1000) / 3000 }
                return lora
            }
            let first = try adapter(1, targets)
            let adapters: [LoRA?] = [nil, first, try adapter(2, ["all-linear"]), first]
            let prompts: [[Int32]] = [[1, 5, 17], [7, 7, 60, 2, 95], [3], [40, 41]]
            let alone = adapters.map { model.session(lora: $0, capacity: 16) }
            let together = adapters.map { model.session(lora: $0, capacity: 16) }
            var next = zip(alone, prompts).map { session, prompt in session.append(prompt) }
            for (session, prompt) in zip(together, prompts) { _ = session.append(prompt) }
            for step in 0..<4 {
                let tokens = next.map { logits in Int32(logits.indices.max { logits[$0] < logits[$1] }!) }
                next = zip(alone, tokens).map { $0.append([$1]) }
                let batched = model.decode(together, tokens)
                for r in 0..<4 { #expect(Fixtures.maxDifference(batched[r], next[r]) < 1e-5, "\(name): step \(step), sequence \(r)") }
            }
            #expect(together.map(\.count) == alone.map(\.count), "\(name)")
        }
    }

    /// A prompt taken in blocks (`append(_:block:)`, `score`) gives the logits the whole forward
    /// pass gives, with and without a prefix; the last block's last row is the prefill's answer.
    @Test func blockedPrefillMatchesTheWholeForward() throws {
        for (name, model) in try Self.models() {
            let prompt: [Int32] = [1, 5, 17, 7, 7, 60, 2, 95, 3, 40, 41], T = prompt.count, V = model.vocabSize
            for prefix in [nil, PrefixTuning(layout: model.prefixLayout, config: PrefixConfig(virtualTokens: 3), seed: 5)] {
                let whole = model.logits(prompt, B: 1, T: T, lora: nil, prefix: prefix)
                var rows = [Float](repeating: .nan, count: T * V)
                model.session(lora: nil, prefix: prefix, capacity: T).score(prompt, block: 4) { t, row in
                    for v in 0..<V { rows[t * V + v] = row[v] }
                }
                #expect(Fixtures.maxDifference(rows, whole) < 1e-5, "\(name), prefix \(prefix != nil)")
                let last = model.session(lora: nil, prefix: prefix, capacity: T).append(prompt, block: 3)
                #expect(Fixtures.maxDifference(last, Array(whole[((T - 1) * V)...])) < 1e-5, "\(name), prefix \(prefix != nil)")
            }
        }
    }
}
