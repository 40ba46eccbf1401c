import Engine
import JSON
import Models
import Tensor
import Training

/// Fine-tunes a BERT-family base model for sequence classification (architecture `bert`): reads
/// the job's files, trains with `ClassificationTrainer` through `JobTrainingHooks` (resuming
/// from the job's latest checkpoint), and names the checkpoint holding the final model.
public struct BertClassificationJob: TrainingJob {
    /// The base model named by a job (nil when the catalog has no such model).
    public typealias BaseLoader = @Sendable (_ model: String) throws -> ClassificationBase?
    let loadBase: BaseLoader

    public init(loadBase: @escaping BaseLoader) { self.loadBase = loadBase }

    /// Bases from `catalog`.
    public init(catalog: ModelCatalog) {
        self.init { name in try catalog.model(named: name).map(ClassificationBase.load) }
    }

    public func train(_ context: JobContext) throws -> TrainingResult {
        let job = context.job
        let base: ClassificationBase
        do {
            guard let loaded = try loadBase(job.model) else {
                throw JobFailure(code: "model_not_found", message: "Base model \(job.model) is not available", param: "model")
            }
            base = loaded
        } catch let failure as JobFailure {
            throw failure
        } catch {
            throw JobFailure(code: "invalid_model", message: "Base model \(job.model) cannot be loaded: \(error)", param: "model")
        }
        let arguments = TrainingArguments(job.hyperparameters.object ?? [:], seed: Int(job.seed))
        guard let training = try FileValidation.content(of: job.trainingFile, context) else {
            throw JobFailure(code: "invalid_training_file", message: "File \(job.trainingFile) no longer exists", param: "training_file")
        }
        var validation: [UInt8]?
        if let file = job.validationFile {
            guard let bytes = try FileValidation.content(of: file, context) else {
                throw JobFailure(code: "invalid_validation_file", message: "File \(file) no longer exists", param: "validation_file")
            }
            validation = bytes
        }
        let trainer: ClassificationTrainer
        do {
            var lora: LoRAConfig?
            do {
                if job.hyperparameters["lora"] != nil { lora = try LoRAConfig.from(hyperparameters: job.hyperparameters, layout: base.config.loraLayout) }
            } catch {
                throw JobFailure(code: "invalid_hyperparameters", message: error.message, param: error.param)
            }
            trainer = try ClassificationTrainer(config: base.config, weights: base.weights, tokenizer: base.tokenizer, training: training,
                                                validation: validation, arguments: arguments, lora: lora)
        } catch let problem as DatasetProblem {
            let param = problem.reason.hasPrefix("validation file") ? "validation_file" : "training_file"
            throw JobFailure(code: "invalid_\(param)", message: problem.description, param: param)
        }
        try Self.reportLengths(trainer.dataset, maxLength: arguments.maxSeqLength, context)
        if let lora = trainer.lora {
            try context.event("LoRA r \(lora.config.r), alpha \(lora.config.alpha) on \(lora.modules.map(\.id).joined(separator: ", ")), with the classifier: \(lora.params.count) trainable parameters")
        }
        try context.event("Training \(trainer.dataset.train.count) examples (\(trainer.dataset.validation.count) for evaluation), labels \(trainer.dataset.labels.joined(separator: ", ")), \(trainer.totalSteps) steps")
        let outcome = try trainer.run(JobTrainingHooks(context: context))
        if outcome.stoppedEarly { try context.event("Early stopping after step \(outcome.steps)") }
        let results = try ResultFile.write(context)
        let manifest = ModelManifest(kind: .classifier, base: job.model, architecture: job.architecture,
                                     adapter: trainer.lora.map { $0.config.resolved($0.layout) }, labels: trainer.dataset.labels,
                                     head: trainer.lora?.savedTensors.map(\.name) ?? [])
        return TrainingResult(trainedTokens: outcome.trainedTokens, resultFiles: [results], checkpoint: outcome.checkpoint, manifest: manifest)
    }

    /// One event per split: token-count percentiles and how many examples truncation shortens.
    static func reportLengths(_ dataset: ClassificationDataset, maxLength: Int, _ context: JobContext) throws {
        for (name, lengths) in [("Training", dataset.trainLengths), ("Validation", dataset.validationLengths)] where !lengths.isEmpty {
            let summary = ClassificationDataset.lengthSummary(lengths, maxLength: maxLength)
            func value(_ key: String) -> String { summary[key]?.int.map(String.init) ?? "?" }
            try context.event("\(name) examples: tokens p50 \(value("p50")), p90 \(value("p90")), p99 \(value("p99")), max \(value("max")); \(value("truncated")) of \(lengths.count) truncated at \(maxLength)",
                              data: .object(summary))
        }
    }
}
