import JSON
import Models
import Training

/// Fine-tuning of a causal language model (a Llama-family GGUF, or a Llama or GPT-2 Hugging Face
/// folder): the job's files as causal-LM data, `CausalLMTrainer` (LoRA adapters when
/// `hyperparameters.lora` is given, every weight otherwise), the steps every job shares in
/// `JobContext+Training`.
public struct CausalLMJob: TrainingJob {
    /// The base model named by a job (nil when the catalog has no such model).
    public typealias BaseLoader = @Sendable (_ model: String) throws -> CausalLMBase?
    let loadBase: BaseLoader

    public init(loadBase: @escaping BaseLoader) { self.loadBase = loadBase }

    /// Bases from `catalog`.
    public init(catalog: ModelCatalog) {
        self.init { name in try catalog.model(named: name).map(CausalLMBase.load) }
    }

    public func train(_ context: JobContext) throws -> TrainingResult {
        let job = context.job
        let base = try context.base(loadBase)
        let (training, validation) = try context.files()
        let (trainer, note) = try Self.trainer(base: base, training: training, validation: validation, arguments: context.arguments,
                                               hyperparameters: job.hyperparameters)
        if let note { try context.event(note) }
        try context.event(trainer.summary)
        return try context.run(trainer, manifest: ModelManifest(kind: .causalLM, base: job.model, architecture: job.architecture,
                                                                adapter: trainer.adapterSettings))
    }

    /// The trainer of a job on `base` with these files and settings (and a note when the
    /// examples are cut at the model's context): `train` runs it, the dry run times a few steps.
    static func trainer(base: CausalLMBase, training: [UInt8], validation: [UInt8]?, arguments: TrainingArguments,
                        hyperparameters: JSONValue) throws -> (CausalLMTrainer, note: String?) {
        let lora = try Result { () throws(HyperparameterError) in try Hyperparameters.lora(hyperparameters, layout: base.loraLayout) }
            .mapError(JobFailure.invalid).get()
        var arguments = arguments, note: String?
        if arguments.maxSeqLength > base.contextLength {
            note = "max_seq_length \(arguments.maxSeqLength) is longer than the model's context: examples are cut at \(base.contextLength)"
            arguments.maxSeqLength = base.contextLength
        }
        let dataset: CausalLMDataset
        do {
            dataset = try CausalLMDataset(training: training, validation: validation, arguments: arguments, tokenizer: base.tokenizer,
                                          template: base.template, eos: base.eos)
        } catch {
            throw JobFailure(code: "invalid_training_file", message: error.description, param: "training_file")
        }
        return (try CausalLMTrainer(model: base.model, lora: lora, dataset: dataset, arguments: arguments), note)
    }
}
