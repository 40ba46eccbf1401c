import JSON
import Models
import Training

/// Fine-tuning of a causal language model (a Llama-family GGUF, or a Llama or GPT-2 Hugging Face
/// folder): the job's files as causal-LM data and `CausalLMTrainer`, or for method `dpo` and
/// `orpo` as preference pairs and `PreferenceTrainer` (LoRA adapters when `hyperparameters.lora`
/// is given, a prefix with `hyperparameters.prefix_tuning`, every weight otherwise), the steps every job shares in `JobContext+Training`.
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
                                               method: job.method["type"]?.string ?? "supervised", hyperparameters: job.hyperparameters)
        if let note { try context.event(note) }
        try context.event(trainer.summary)
        return try context.run(trainer, manifest: ModelManifest(kind: .causalLM, base: job.model, architecture: job.architecture,
                                                                adapter: trainer.adapterSettings))
    }

    /// The trainer of a job on `base` with these files and settings (and a note when the
    /// examples are cut at the model's context): `train` runs it, the dry run times a few steps.
    /// `method` `dpo` or `orpo`: preference tuning on preference pairs (`PreferenceTrainer`).
    static func trainer(base: CausalLMBase, training: [UInt8], validation: [UInt8]?, arguments: TrainingArguments, method: String,
                        hyperparameters: JSONValue) throws -> (any LanguageModelTask, note: String?) {
        let adapter = try Result { () throws(HyperparameterError) in try Hyperparameters.adapter(hyperparameters, layout: base.loraLayout) }
            .mapError(JobFailure.invalid).get()
        let (arguments, note) = arguments.fitting(positions: base.contextLength, adapter: adapter)
        do {
            if method == "dpo" || method == "orpo" {
                let truncation = hyperparameters["truncation_mode"]?.string.flatMap(TruncationMode.init(rawValue:)) ?? .keepStart
                let dataset = try PreferenceDataset(training: training, validation: validation, arguments: arguments, truncation: truncation,
                                                    maxPromptLength: hyperparameters["max_prompt_length"]?.int, tokenizer: base.tokenizer,
                                                    template: base.template, eos: base.eos)
                return (try PreferenceTrainer(model: base.model, adapter: adapter, dataset: dataset, arguments: arguments,
                                              objective: Hyperparameters.preferenceLoss(hyperparameters, method: method)), note)
            }
            let dataset = try CausalLMDataset(training: training, validation: validation, arguments: arguments, tokenizer: base.tokenizer,
                                              template: base.template, eos: base.eos)
            return (try CausalLMTrainer(model: base.model, adapter: adapter, dataset: dataset, arguments: arguments), note)
        } catch let problem as DatasetProblem {
            throw JobFailure(code: "invalid_training_file", message: problem.description, param: "training_file")
        }
    }
}
