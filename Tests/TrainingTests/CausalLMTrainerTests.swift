import Engine
import GGUF
import JSON
import Platform
import Tensor
import Testing
import TestSupport
import Tokenizers
import Training

/// LoRA fine-tuning of SmolLM2-135M-Instruct on chatterbot-corpus conversations (a 40-line cut
/// made by scripts/fetch-chatterbot), and the causal-LM data formats.
@Suite(.serialized) struct CausalLMTrainerTests {
    static let gguf = repositoryRoot + "/models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf"
    static let fixtures = repositoryRoot + "/Tests/TrainingTests/Fixtures/chat/"
    static let loaded = Result { () throws -> (Llama, Tokenizer, ChatTemplate?) in
        let bytes = try #require(Files.read(gguf))
        let header = try GGUFFile(bytes: bytes)
        return (try Llama.load(gguf: gguf, maxT: 256), try Tokenizer(gguf: header),
                header["tokenizer.chat_template"]?.string.flatMap(ChatTemplate.init(jinja:)))
    }

    func dataset(_ training: String, _ arguments: TrainingArguments) throws -> CausalLMDataset {
        let (_, tokenizer, template) = try Self.loaded.get()
        return try CausalLMDataset(training: Array(training.utf8), validation: nil, arguments: arguments, tokenizer: tokenizer,
                                   template: template, eos: 2)
    }

    @Test func lossOnlyWhereTheModelShouldLearn() throws {
        let (_, tokenizer, _) = try Self.loaded.get()
        let arguments = TrainingArguments(["max_seq_length": 128], seed: 1)
        let chat = try dataset(#"{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello there"}]}"#, arguments)
        let example = try #require(chat.train.first)
        let learned = zip(example.targets, example.targets.indices).filter { $0.0 != -100 }.map { Int(example.ids[$0.1 + 1]) }
        #expect(tokenizer.decode(learned, skipSpecialTokens: false) == "Hello there<|im_end|>")
        let silent = try dataset(#"{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"A","weight":0},{"role":"user","content":"B"},{"role":"assistant","content":"C"}]}"#, arguments)
        let targets = silent.train[0].targets.filter { $0 != -100 }.map(Int.init)
        #expect(tokenizer.decode(targets, skipSpecialTokens: false) == "C<|im_end|>")
        let completion = try dataset(#"{"prompt":"2 + 2 =","completion":" 4"}"#, arguments).train[0]
        #expect(tokenizer.decode(completion.targets.filter { $0 != -100 }.map(Int.init), skipSpecialTokens: false) == " 4<|im_end|>")
        let text = try dataset(#"{"text":"one two three"}"#, arguments).train[0]
        #expect(text.targets.filter { $0 != -100 }.count == text.ids.count - 1)
        #expect(throws: DatasetProblem.self) { try dataset("{\"text\":\"ok\"}\n{\"nope\":1}", arguments) }
        do { _ = try dataset("{\"text\":\"ok\"}\n{\"nope\":1}", arguments) } catch let problem as DatasetProblem { #expect(problem.line == 2) }
    }

    /// A few LoRA steps on q and v lower the validation loss; a run stopped after a checkpoint and
    /// resumed ends with the same adapters as one that was not.
    @Test func loraTrainingLowersValidationLossAndResumesExactly() throws {
        let (model, tokenizer, template) = try Self.loaded.get()
        let h: JSONObject = ["n_epochs": 1, "batch_size": 4, "max_seq_length": 64, "learning_rate": 2e-3, "logging_steps": 1,
                             "eval_strategy": "epoch", "save_strategy": "steps", "save_steps": 3]
        let arguments = TrainingArguments(h, seed: 5)
        let data = try CausalLMDataset(training: try #require(Files.read(Self.fixtures + "train.jsonl")),
                                       validation: Files.read(Self.fixtures + "validation.jsonl"), arguments: arguments,
                                       tokenizer: tokenizer, template: template, eos: 2)
        let config = LoRAConfig(r: 8, alpha: 16, targets: ["q_proj", "v_proj"])
        let trainer = try CausalLMTrainer(model: model, adapter: .lora(config), dataset: data, arguments: arguments)
        let before = try #require(trainer.evaluate()["loss"]?.double)
        let hooks = MemoryHooks()
        let outcome = try trainer.run(hooks)
        let after = try #require(outcome.lastEvaluation?["loss"]?.double)
        print("LoRA on chatterbot: validation loss \(before) → \(after) in \(outcome.steps) steps")
        #expect(outcome.steps == 9 && after < before)
        #expect(hooks.metrics.filter { $0.kind == "train" }.count == 9)

        let first = try CausalLMTrainer(model: model, adapter: .lora(config), dataset: data, arguments: arguments)
        let resumed = MemoryHooks()
        resumed.stopAfter = 4
        #expect(throws: MemoryHooks.Stop.self) { try first.run(resumed) }
        resumed.stopAfter = nil
        let second = try CausalLMTrainer(model: model, adapter: .lora(config), dataset: data, arguments: arguments)
        _ = try second.run(resumed)
        #expect(digest(second.trained.params.bytes) == digest(trainer.trained.params.bytes))
    }

    /// Prefix tuning (10 virtual tokens: keys and values for the 3 key/value heads of each of
    /// the 30 layers) ends below the base's validation loss (`eval_on_start`: the base alone),
    /// and its checkpoint resumes exactly.
    @Test func prefixTuningBeatsTheBase() throws {
        let (model, tokenizer, template) = try Self.loaded.get()
        let h: JSONObject = ["n_epochs": 2, "batch_size": 4, "max_seq_length": 64, "learning_rate": 1e-2, "logging_steps": 1,
                             "eval_strategy": "epoch", "eval_on_start": true, "save_strategy": "steps", "save_steps": 3]
        let arguments = TrainingArguments(h, seed: 5)
        let data = try CausalLMDataset(training: try #require(Files.read(Self.fixtures + "train.jsonl")),
                                       validation: Files.read(Self.fixtures + "validation.jsonl"), arguments: arguments,
                                       tokenizer: tokenizer, template: template, eos: 2)
        let settings = AdapterSettings.prefix(PrefixConfig(virtualTokens: 10))
        let trainer = try CausalLMTrainer(model: model, adapter: settings, dataset: data, arguments: arguments)
        #expect(trainer.trained.params.count == 10 * 30 * 2 * 3 * 64)
        let hooks = MemoryHooks()
        let outcome = try trainer.run(hooks)
        let base = try #require(hooks.metrics.first { $0.kind == "eval" && $0.step == 0 }?.values["loss"]?.double)
        let after = try #require(outcome.lastEvaluation?["loss"]?.double)
        print("Prefix tuning on chatterbot: base validation loss \(base) → \(after) in \(outcome.steps) steps")
        #expect(after < base)

        let resumed = MemoryHooks()
        resumed.stopAfter = 4
        #expect(throws: MemoryHooks.Stop.self) { try CausalLMTrainer(model: model, adapter: settings, dataset: data, arguments: arguments).run(resumed) }
        resumed.stopAfter = nil
        let second = try CausalLMTrainer(model: model, adapter: settings, dataset: data, arguments: arguments)
        _ = try second.run(resumed)
        #expect(digest(second.trained.params.bytes) == digest(trainer.trained.params.bytes))
    }

    /// Full fine-tuning (no LoRA) of a tiny GPT-2 folder: every weight moves, validation loss
    /// falls, and a run stopped and resumed from its checkpoint ends bit-identical.
    @Test func fullFineTuning() throws {
        let folder = repositoryRoot + "/Tests/ServiceTests/Fixtures/tiny-gpt2"
        let tokenizer = try Tokenizer(json: try #require(Files.read(folder + "/tokenizer.json")))
        let lines = (1...7).flatMap { a in (1...7).map { #"{"prompt": "What is \#(a) plus \#($0)?", "completion": " \#(a + $0)."}"# } }
        let arguments = TrainingArguments(["n_epochs": 3, "batch_size": 8, "learning_rate": 3e-3, "eval_strategy": "epoch",
                                           "save_strategy": "epoch", "weight_decay": 0.01], seed: 3)
        let data = try CausalLMDataset(training: Array(lines.enumerated().filter { $0.offset % 5 != 0 }.map(\.element).joined(separator: "\n").utf8),
                                       validation: Array(lines.enumerated().filter { $0.offset % 5 == 0 }.map(\.element).joined(separator: "\n").utf8),
                                       arguments: arguments, tokenizer: tokenizer, template: nil, eos: 0)
        let model = try GPT2.load(folder: folder), start = digest(model.params.bytes)
        let trainer = try CausalLMTrainer(model: model, adapter: nil, dataset: data, arguments: arguments)
        let before = try #require(trainer.evaluate()["loss"]?.double)
        let hooks = MemoryHooks()
        let outcome = try trainer.run(hooks)
        let after = try #require(outcome.lastEvaluation?["loss"]?.double)
        #expect(after < before, "\(before) → \(after)")
        #expect(trainer.lora == nil && trainer.trained.params === model.params && digest(model.params.bytes) != start)

        let resumed = MemoryHooks()
        resumed.stopAfter = 5
        #expect(throws: MemoryHooks.Stop.self) { try CausalLMTrainer(model: try GPT2.load(folder: folder), adapter: nil, dataset: data, arguments: arguments).run(resumed) }
        resumed.stopAfter = nil
        let second = try GPT2.load(folder: folder)
        _ = try CausalLMTrainer(model: second, adapter: nil, dataset: data, arguments: arguments).run(resumed)
        #expect(digest(second.params.bytes) == digest(model.params.bytes))
    }
}
