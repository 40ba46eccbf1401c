import JSON
import Models
import Training

/// Fine-tunes a BERT-family base model for sequence classification (architecture `bert`): the
/// job's files as labelled examples, `ClassificationTrainer` (every weight, or LoRA adapters
/// and the head), the steps every job shares in `JobContext+Training`.
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
        let job = context.job, arguments = context.arguments
        let base = try context.base(loadBase)
        let (training, validation) = try context.files()
        let (trainer, note) = try Self.trainer(base: base, training: training, validation: validation, arguments: arguments,
                                               hyperparameters: job.hyperparameters)
        if let note { try context.event(note) }
        try Self.reportLengths(trainer.dataset, maxLength: trainer.arguments.maxSeqLength, context)
        if let adapter = trainer.adapterSummary { try context.event(adapter) }
        try context.event(trainer.planSummary)
        return try context.run(trainer, manifest: ModelManifest(kind: .classifier, base: job.model, architecture: job.architecture,
                                                                adapter: trainer.adapterSettings, labels: trainer.dataset.labels,
                                                                head: trainer.headTensors))
    }

    /// The trainer of a job on `base` with these files and settings (and a note when the
    /// examples are cut at the model's positions): `train` runs it, the dry run times a few of its steps.
    static func trainer(base: ClassificationBase, training: [UInt8], validation: [UInt8]?, arguments: TrainingArguments,
                        hyperparameters: JSONValue) throws -> (ClassificationTrainer, note: String?) {
        do {
            let adapter = try Result { () throws(HyperparameterError) in try Hyperparameters.adapter(hyperparameters, layout: base.loraLayout) }
                .mapError(JobFailure.invalid).get()
            let (arguments, note) = arguments.fitting(positions: base.positions, adapter: adapter)
            return (try ClassificationTrainer(config: base.config, weights: base.weights, tokenizer: base.tokenizer, training: training,
                                              validation: validation, arguments: arguments, adapter: adapter), note)
        } catch let problem as DatasetProblem {
            let param = problem.reason.hasPrefix("validation file") ? "validation_file" : "training_file"
            throw JobFailure(code: "invalid_\(param)", message: problem.description, param: param)
        }
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
