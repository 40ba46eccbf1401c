import Engine
import JSON
import Platform
import Testing
import Tokenizers
import Training

/// A measured run on the Rotten Tomatoes files of `scripts/fetch-rotten-tomatoes DIR`, only
/// when `ANNEAL_ROTTEN_TOMATOES=DIR` is set (`ANNEAL_RT_EXAMPLES` limits the training examples).
@Suite struct RottenTomatoesRun {
    static let folder = Environment["ANNEAL_ROTTEN_TOMATOES"]

    @Test(.enabled(if: folder != nil)) func oneEpochAtSequenceLength64() throws {
        let folder = try #require(Self.folder)
        let model = ClassificationTrainerTests.model
        var training = try #require(Files.read(folder + "/train.jsonl"))
        if let limit = Environment["ANNEAL_RT_EXAMPLES"].flatMap({ Int($0) }) {
            var lines = 0, end = 0
            while end < training.count && lines < limit { if training[end] == 10 { lines += 1 }; end += 1 }
            training = Array(training[..<end])
        }
        let arguments = TrainingArguments(["n_epochs": 1, "max_seq_length": 64, "batch_size": 16, "learning_rate": 5e-5,
                                           "logging_steps": 50, "save_strategy": "no"], seed: 42)
        let trainer = try ClassificationTrainer(config: BertConfig.load(folder: model), weights: SafeTensors(path: model + "/model.safetensors"),
                                                tokenizer: Tokenizer(json: Files.read(model + "/tokenizer.json")!), training: training,
                                                validation: Files.read(folder + "/validation.jsonl"), arguments: arguments)
        let hooks = MemoryHooks()
        let start = MonotonicClock.now
        let threads = min(max(1, Int(Environment["ANNEAL_THREADS"] ?? "") ?? 1), Parallel.maxThreads)
        let outcome = try Parallel.withThreads(threads) { try trainer.run(hooks) }
        let seconds = MonotonicClock.now - start
        let accuracy = outcome.lastEvaluation?["accuracy"]?.double ?? 0
        print("rotten tomatoes (\(Environment["ANNEAL_THREADS"] ?? "1") threads): \(trainer.dataset.train.count) examples, \(outcome.steps) steps in \(seconds) s (\(seconds / Double(outcome.steps)) s/step incl. eval), validation accuracy \(accuracy) on \(trainer.dataset.validation.count)")
        #expect(accuracy > 0.5)
    }
}
