import Engine
import JSON
import Platform
import Tensor
import Testing
import TestSupport
import Tokenizers
import Training

/// The trainer on all-MiniLM-L6-v2 and a few dozen Rotten Tomatoes critic snippets.
@Suite(.serialized) struct ClassificationTrainerTests {
    static let root = repositoryRoot
    static let model = root + "/models/all-MiniLM-L6-v2"
    static let fixtures = root + "/Tests/TrainingTests/Fixtures/"

    static func trainer(_ hyperparameters: JSONObject, validation: Bool = true, adapter: AdapterSettings? = nil) throws -> ClassificationTrainer {
        #expect(Files.exists(model + "/model.safetensors"), "run scripts/fetch-models")
        let arguments = TrainingArguments(hyperparameters, seed: 7)
        let tokenizer = try Tokenizer(json: Files.read(model + "/tokenizer.json")!)
        let dataset = try ClassificationDataset(
            training: Files.read(fixtures + "reviews-train.jsonl")!,
            validation: validation ? Files.read(fixtures + "reviews-validation.jsonl")! : nil,
            arguments: arguments, tokenizer: tokenizer)
        return try ClassificationTrainer(config: BertConfig.load(folder: model), weights: SafeTensors(path: model + "/model.safetensors"),
                                         dataset: dataset, arguments: arguments, adapter: adapter)
    }

    static let small: JSONObject = ["n_epochs": 1, "batch_size": 8, "max_seq_length": 32, "learning_rate": 1e-4,
                                    "logging_steps": 2, "eval_strategy": "epoch", "save_strategy": "steps", "save_steps": 2]

    @Test func datasetLabelsSplitAndPadding() throws {
        var h = Self.small
        h["validation_split"] = 0.25
        let trainer = try Self.trainer(h, validation: false)
        let data = trainer.dataset
        #expect(data.labels == ["fresh", "rotten"])
        #expect(data.train.count == 36 && data.validation.count == 12)
        #expect(data.train.allSatisfy { $0.ids.count <= 32 && $0.ids.first == 101 })
        let batch = data.batch(data.train, [0, 1, 2])
        #expect(batch.T == data.train[0...2].map(\.ids.count).max())
        #expect(batch.mask.reduce(0, +) == Int32(data.train[0...2].map(\.ids.count).reduce(0, +)))
    }

    /// Training and validation examples are cut at max_seq_length as transformers cuts them, at
    /// max-1, max, max+1 and max+2 tokens, alone and in pairs (the longest-first cases of
    /// Tests/TokenizersTests/Fixtures/truncation.json).
    @Test(arguments: [32, 128, 512]) func examplesCutAtTheBoundaryAsTransformers(maxLength: Int) throws {
        let fixture = try JSONValue(parsing: Files.read(Self.root + "/Tests/TokenizersTests/Fixtures/truncation.json")!)
        let cases = try #require(fixture["cases"]?.array).filter {
            $0["max_length"]?.int == maxLength && $0["strategy"]?.string == "longest_first"
        }
        try #require(cases.count >= 12)
        var lines: [String] = []
        for (index, item) in cases.enumerated() {
            var record: JSONObject = ["text": item["text"]!, "label": .string(index % 2 == 0 ? "fresh" : "rotten")]
            if let pair = item["pair"], pair != .null { record["text_pair"] = pair }
            lines.append(JSONValue.object(record).encoded())
        }
        let file = Array(lines.joined(separator: "\n").utf8)
        let tokenizer = try Tokenizer(json: Files.read(Self.model + "/tokenizer.json")!)
        let dataset = try ClassificationDataset(training: file, validation: file,
                                                arguments: TrainingArguments(["max_seq_length": .int(Int64(maxLength))], seed: 1), tokenizer: tokenizer)
        for examples in [dataset.train, dataset.validation] {
            try #require(examples.count == cases.count)
            for (example, item) in zip(examples, cases) {
                #expect(example.ids.map(Int.init) == item["ids"]!.array!.map { $0.int! })
                #expect(example.types.map(Int.init) == item["type_ids"]!.array!.map { $0.int! })
            }
        }
    }

    @Test func unknownValidationLabelNamesTheLine() throws {
        let arguments = TrainingArguments(["max_seq_length": 16], seed: 1)
        let tokenizer = try Tokenizer(json: Files.read(Self.model + "/tokenizer.json")!)
        let train = Array(#"{"text":"a","label":"x"}\#n{"text":"b","label":"y"}"#.utf8)
        let validation = Array(#"{"text":"a","label":"x"}\#n{"text":"c","label":"z"}"#.utf8)
        #expect(throws: DatasetProblem.self) {
            try ClassificationDataset(training: train, validation: validation, arguments: arguments, tokenizer: tokenizer)
        }
        do {
            _ = try ClassificationDataset(training: train, validation: validation, arguments: arguments, tokenizer: tokenizer)
        } catch {
            #expect(error.line == 2)
        }
    }

    @Test func trainsLogsEvaluatesAndCheckpoints() throws {
        let trainer = try Self.trainer(Self.small)
        let hooks = MemoryHooks()
        let start = MonotonicClock.now
        let outcome = try trainer.run(hooks)
        let seconds = MonotonicClock.now - start
        print("trainer: \(outcome.steps) steps in \(seconds) s, eval \(outcome.lastEvaluation?["accuracy"] ?? .null)")
        #expect(outcome.steps == 6 && trainer.totalSteps == 6)
        #expect(hooks.metrics.filter { $0.kind == "train" }.map(\.step) == [2, 4, 6])
        let train = hooks.metrics.first { $0.kind == "train" }!.values
        for key in ["loss", "learning_rate", "grad_norm", "samples_per_second"] { #expect(train[key]?.double != nil) }
        let eval = hooks.metrics.filter { $0.kind == "eval" }
        #expect(eval.map(\.step) == [6])
        #expect(eval[0].values["accuracy"]?.double != nil && eval[0].values["loss"]?.double != nil)
        #expect(hooks.checkpoints.map(\.step) == [2, 4, 6])
        #expect(outcome.checkpoint == hooks.checkpoints.last!.id)
        #expect(outcome.trainedTokens > 48 * 5)
    }

    /// An uninterrupted run beside one that `stop` interrupts after step 3, leaving checkpoints at
    /// `saved`, and that a new trainer resumes: the two end with the same weights and metrics.
    static func interruptedRun(_ h: JSONObject, stop: (MemoryHooks) -> Void, saved: [Int]) throws
        -> (whole: ClassificationTrainer, resumed: ClassificationTrainer, hooks: MemoryHooks) {
        let whole = try trainer(h)
        let reference = MemoryHooks()
        _ = try whole.run(reference)

        let hooks = MemoryHooks()
        stop(hooks)
        #expect(throws: MemoryHooks.Stop.self) { try trainer(h).run(hooks) }
        #expect(hooks.checkpoints.map(\.step) == saved)
        (hooks.stopAfter, hooks.shutdownAfter) = (nil, nil)
        let resumed = try trainer(h)
        let outcome = try resumed.run(hooks)
        #expect(outcome.steps == 6)
        #expect(digest(resumed.trained.params.bytes) == digest(whole.trained.params.bytes))
        #expect(hooks.metrics.last!.values == reference.metrics.last!.values)
        return (whole, resumed, hooks)
    }

    @Test func resumedRunIsBitIdentical() throws {
        var h = Self.small
        h["gradient_accumulation_steps"] = 2
        h["batch_size"] = 4
        h["eval_strategy"] = "steps"
        h["eval_steps"] = 2
        let (whole, resumed, _) = try Self.interruptedRun(h, stop: { $0.stopAfter = 3 }, saved: [2])
        #expect(digest(resumed.trained.m.bytes) == digest(whole.trained.m.bytes))
    }

    /// A rolling deploy's SIGTERM: the loop saves the steps since the last checkpoint before it
    /// stops, so the resumed run repeats none of them and still ends bit-identical.
    @Test func shutdownSavesACheckpointFirst() throws {
        var h = Self.small
        h["eval_strategy"] = "steps"
        h["eval_steps"] = 2
        let (_, _, hooks) = try Self.interruptedRun(h, stop: { $0.shutdownAfter = 3 }, saved: [2, 3])
        #expect(hooks.metrics.filter { $0.kind == "train" }.map(\.step) == [2, 4, 6], "no step trained twice")
    }

    @Test func saveTotalLimitKeepsTheBest() throws {
        var h = Self.small
        h["eval_strategy"] = "steps"
        h["eval_steps"] = 1
        h["save_steps"] = 1
        h["save_total_limit"] = 2
        h["learning_rate"] = 3e-4
        h["metric_for_best_model"] = "loss"
        h["load_best_model_at_end"] = true
        let trainer = try Self.trainer(h)
        let hooks = MemoryHooks()
        let outcome = try trainer.run(hooks)
        let losses = hooks.metrics.filter { $0.kind == "eval" }.map { ($0.step, $0.values["loss"]!.double!) }
        let bestStep = losses.min { $0.1 < $1.1 }!.0
        #expect(hooks.checkpoints.count <= 2)
        #expect(hooks.checkpoints.contains { $0.step == bestStep && $0.isBest })
        #expect(hooks.checkpoints.contains { $0.step == 6 })
        #expect(outcome.checkpoint == hooks.checkpoints.first { $0.isBest }!.id)
        #expect(digest(trainer.trained.params.bytes) == digest(hooks.checkpoints.first { $0.isBest }!.parts["params"] ?? []))
    }

    @Test func earlyStoppingStops() throws {
        var h = Self.small
        h["eval_strategy"] = "steps"
        h["eval_steps"] = 1
        h["learning_rate"] = 0.0
        h["early_stopping_patience"] = 2
        let trainer = try Self.trainer(h)
        let hooks = MemoryHooks()
        let outcome = try trainer.run(hooks)
        #expect(outcome.stoppedEarly && outcome.steps == 3)
        #expect(hooks.checkpoints.last!.step == 3)
    }

    /// LoRA (query and value, dropout 0.1) with the head trained beside it: validation loss
    /// falls, the encoder's weights do not move, and a stopped and resumed run ends with the
    /// same adapters and head.
    @Test func loraTrainsAdaptersAndHeadOnly() throws {
        var h = Self.small
        h["n_epochs"] = 2
        h["learning_rate"] = 2e-3
        let lora = LoRAConfig(r: 8, alpha: 16, targets: [], dropout: 0.1)
        let trainer = try Self.trainer(h, adapter: .lora(lora))
        let encoder = digest(Array(UnsafeRawBufferPointer(start: trainer.model.parameters.qkvw.pointer, count: trainer.model.parameters.qkvw.count * 4)))
        let before = try #require(try trainer.evaluate()["loss"]?.double)
        let outcome = try trainer.run(MemoryHooks())
        let after = try #require(outcome.lastEvaluation?["loss"]?.double)
        #expect(after < before, "validation loss \(before) → \(after)")
        #expect(trainer.lora?.modules.map(\.id) == ["attention.self.query", "attention.self.value"])
        #expect(digest(Array(UnsafeRawBufferPointer(start: trainer.model.parameters.qkvw.pointer, count: trainer.model.parameters.qkvw.count * 4))) == encoder)
        let hooks = MemoryHooks()
        hooks.stopAfter = 3
        #expect(throws: MemoryHooks.Stop.self) { try Self.trainer(h, adapter: .lora(lora)).run(hooks) }
        hooks.stopAfter = nil
        let resumed = try Self.trainer(h, adapter: .lora(lora))
        _ = try resumed.run(hooks)
        #expect(digest(try #require(resumed.lora).params.bytes) == digest(try #require(trainer.lora).params.bytes))
    }

    /// Prefix tuning (10 virtual tokens) with the head beside it: `eval_on_start` measures the
    /// base alone, the fine-tune ends below it, the encoder does not move, and a stopped and
    /// resumed run ends with the same prefix and head.
    @Test func prefixTuningTrainsPrefixAndHeadOnly() throws {
        var h = Self.small
        h["n_epochs"] = 2
        h["learning_rate"] = 1e-2
        h["eval_on_start"] = true
        let settings = AdapterSettings.prefix(PrefixConfig(virtualTokens: 10))
        let trainer = try Self.trainer(h, adapter: settings)
        let prefix = try #require(trainer.prefix)
        #expect(prefix.params.count == 10 * 6 * 2 * 384 + 2 * 384 + 2 && trainer.model.prefixSlots == 10)
        let encoder = digest(Array(UnsafeRawBufferPointer(start: trainer.model.parameters.qkvw.pointer, count: trainer.model.parameters.qkvw.count * 4)))
        let hooks = MemoryHooks()
        let outcome = try trainer.run(hooks)
        let start = try #require(hooks.metrics.first)
        #expect(start.kind == "eval" && start.step == 0)
        let base = try #require(start.values["loss"]?.double), after = try #require(outcome.lastEvaluation?["loss"]?.double)
        #expect(after < base, "validation loss: base \(base), prefix-tuned \(after)")
        #expect(digest(Array(UnsafeRawBufferPointer(start: trainer.model.parameters.qkvw.pointer, count: trainer.model.parameters.qkvw.count * 4))) == encoder)
        let stopped = MemoryHooks()
        stopped.stopAfter = 3
        #expect(throws: MemoryHooks.Stop.self) { try Self.trainer(h, adapter: settings).run(stopped) }
        stopped.stopAfter = nil
        let resumed = try Self.trainer(h, adapter: settings)
        _ = try resumed.run(stopped)
        #expect(digest(try #require(resumed.prefix).params.bytes) == digest(prefix.params.bytes))
    }
}
