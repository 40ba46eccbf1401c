import Engine
import JSON
import Platform
import Tensor
import Testing
import TestSupport
import Tokenizers
@testable import Training

/// DPO and ORPO on SmolLM2 with LoRA over preference pairs made from the chatterbot fixture (each
/// prompt's own answer preferred to the answer of a conversation five lines on), and DPO of a
/// whole model against its stored reference.
@Suite(.serialized) struct PreferenceTrainerTests {
    /// TRL's records from the chat fixture: {"prompt": [user], "chosen": [own answer], "rejected": [another's]}.
    static func pairs(_ file: String) throws -> [UInt8] {
        let conversations = try JSONLines.lines(try #require(Files.read(CausalLMTrainerTests.fixtures + file))).map { try JSONValue(parsing: $0.bytes) }
        var lines: [String] = []
        for (i, conversation) in conversations.enumerated() {
            let messages = try #require(conversation["messages"]?.array)
            let other = try #require(conversations[(i + 5) % conversations.count]["messages"]?.array)
            let record: JSONValue = ["prompt": [messages[0]], "chosen": [messages[1]], "rejected": [other[1]]]
            lines.append(record.encoded())
        }
        return Array(lines.joined(separator: "\n").utf8)
    }

    /// The pairs, evaluated on themselves: these tests check that training fits its data.
    func dataset(_ arguments: TrainingArguments) throws -> PreferenceDataset {
        let (_, tokenizer, template) = try CausalLMTrainerTests.loaded.get()
        let pairs = try Self.pairs("train.jsonl")
        return try PreferenceDataset(training: pairs, validation: pairs, arguments: arguments,
                                     truncation: .keepStart, tokenizer: tokenizer, template: template, eos: 2)
    }

    /// LoRA r 8 on q and v, two epochs of 6 pairs a step at 2e-3.
    func loraTrainer(_ model: Llama, _ objective: PreferenceLoss) throws -> PreferenceTrainer {
        let arguments = TrainingArguments(["n_epochs": 2, "batch_size": 6, "max_seq_length": 80, "learning_rate": 2e-3, "logging_steps": 3,
                                           "eval_strategy": "no", "save_strategy": "no"], seed: 4)
        return try PreferenceTrainer(model: model, adapter: .lora(LoRAConfig(r: 8, alpha: 16, targets: ["q_proj", "v_proj"])),
                                     dataset: try dataset(arguments), arguments: arguments, objective: objective)
    }

    @Test("DPO with LoRA: ln 2 before training, then a lower loss, positive margins and the preferred answers ranked first")
    func dpoWithLoRA() throws {
        let (model, _, _) = try CausalLMTrainerTests.loaded.get()
        let trainer = try loraTrainer(model, PreferenceLoss(.sigmoid, beta: 0.1))
        let before = trainer.evaluate()
        #expect(abs((before["loss"]?.double ?? 0) - 0.6931471805599453) < 1e-6 && before["rewards/margins"]?.double == 0)
        let hooks = MemoryHooks()
        _ = try trainer.run(hooks)
        let after = trainer.evaluate()
        print("DPO on chatterbot pairs: \(before) → \(after)")
        #expect(try #require(after["loss"]?.double) < 0.5)
        #expect(try #require(after["rewards/margins"]?.double) > 0.5)
        #expect(try #require(after["rewards/accuracies"]?.double) >= 0.9)
        let train = hooks.metrics.filter { $0.kind == "train" }
        #expect(train.first?.values["rewards/chosen"] != nil && train.first?.values["logps/rejected"] != nil)
    }

    @Test("ORPO with LoRA: the loss falls, the odds-ratio term improves and more preferred answers are ranked first")
    func orpoWithLoRA() throws {
        let (model, _, _) = try CausalLMTrainerTests.loaded.get()
        let trainer = try loraTrainer(model, PreferenceLoss(.orpo, beta: 0.1))
        let before = trainer.evaluate()
        _ = try trainer.run(MemoryHooks())
        let after = trainer.evaluate()
        print("ORPO on chatterbot pairs: \(before) → \(after)")
        #expect(try #require(after["loss"]?.double) < (before["loss"]?.double ?? 0))
        #expect(try #require(after["log_odds_ratio"]?.double) > (before["log_odds_ratio"]?.double ?? 0))
        #expect(try #require(after["rewards/accuracies"]?.double) > (before["rewards/accuracies"]?.double ?? 1))
    }

    /// The tiny Llama fixture in full against its stored reference: the loss starts at ln 2, falls,
    /// and a run stopped after a checkpoint and resumed (its reference computed again from the
    /// model before the checkpoint is loaded) ends with the same weights.
    @Test("DPO of a whole model: a stored reference, a falling loss and an exact resume")
    func dpoFullFineTune() throws {
        let folder = repositoryRoot + "/Tests/EngineTests/Fixtures/tiny-llama"
        let data = Self.tinyPairs
        let arguments = TrainingArguments(["n_epochs": 3, "batch_size": 4, "learning_rate": 1e-2, "eval_strategy": "no",
                                           "save_strategy": "epoch"], seed: 2)
        let model = try Llama.load(folder: folder, maxT: 16)
        let trainer = try PreferenceTrainer(model: model, adapter: nil, dataset: data, arguments: arguments, objective: PreferenceLoss(.sigmoid, beta: 0.1))
        #expect(abs((trainer.evaluate()["loss"]?.double ?? 0) - 0.6931471805599453) < 1e-6)
        _ = try trainer.run(MemoryHooks())
        #expect(try #require(trainer.evaluate()["loss"]?.double) < 0.6)

        let resumed = MemoryHooks()
        resumed.stopAfter = 4
        #expect(throws: MemoryHooks.Stop.self) {
            try PreferenceTrainer(model: try Llama.load(folder: folder, maxT: 16), adapter: nil, dataset: data, arguments: arguments,
                                  objective: PreferenceLoss(.sigmoid, beta: 0.1)).run(resumed)
        }
        resumed.stopAfter = nil
        #expect(resumed.checkpoints.map(\.step) == [3])
        let second = try Llama.load(folder: folder, maxT: 16)
        _ = try PreferenceTrainer(model: second, adapter: nil, dataset: data, arguments: arguments, objective: PreferenceLoss(.sigmoid, beta: 0.1)).run(resumed)
        #expect(second.params.bytes == model.params.bytes)
    }

    /// Twelve pairs of token ids for the tiny Llama: four prompt tokens, then a short answer.
    static var tinyPairs: PreferenceDataset {
        let pairs = (0..<12).map { i in
            let prompt = (0..<4).map { Int32(3 + (i * 7 + $0 * 5) % 90) }
            return PreferenceExample(chosen: PreferenceSequence(ids: prompt + [Int32(10 + i), 2], answerStart: 4),
                                     rejected: PreferenceSequence(ids: prompt + [Int32(60 + i), 61, 2], answerStart: 4))
        }
        return PreferenceDataset(train: pairs, validation: pairs)
    }

    /// DPO with a prefix: the reference is the base without it (the rewards start away from 0,
    /// a random prefix already changes the model); the base's weights stay as they were, only
    /// the prefix trains, and the loss falls.
    @Test("DPO of a prefix over a frozen base")
    func dpoPrefix() throws {
        let folder = repositoryRoot + "/Tests/EngineTests/Fixtures/tiny-llama"
        let data = Self.tinyPairs
        let arguments = TrainingArguments(["n_epochs": 3, "batch_size": 4, "learning_rate": 1e-2, "eval_strategy": "no",
                                           "save_strategy": "epoch", "per_device_eval_batch_size": 5], seed: 2)
        let model = try Llama.load(folder: folder, maxT: 16), weights = model.params.bytes
        func trainer() throws -> PreferenceTrainer {
            try PreferenceTrainer(model: model, adapter: .prefix(PrefixConfig(virtualTokens: 4)), dataset: data, arguments: arguments,
                                  objective: PreferenceLoss(.sigmoid, beta: 0.1))
        }
        let first = try trainer()
        let before = first.evaluate(), base = first.evaluateBase()
        #expect(abs((base["loss"]?.double ?? 0) - 0.6931471805599453) < 1e-6, "the base is its own reference")
        #expect(before["rewards/chosen"]?.double != 0)
        _ = try first.run(MemoryHooks())
        #expect(try #require(first.evaluate()["loss"]?.double) < (before["loss"]?.double ?? 0))
        #expect(model.params.bytes == weights)
        // The reference, computed as pairs are first needed, is the same after a resume: so is the prefix.
        let resumed = MemoryHooks()
        resumed.stopAfter = 4
        #expect(throws: MemoryHooks.Stop.self) { try trainer().run(resumed) }
        resumed.stopAfter = nil
        let second = try trainer()
        _ = try second.run(resumed)
        #expect(second.trained.params.bytes == first.trained.params.bytes)
    }
}
