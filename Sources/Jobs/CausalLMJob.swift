import Engine
import JSON
import Models
import Tensor
import Tokenizers
import Training

/// Fine-tuning of a causal language model (a Llama-family GGUF, or a Llama or GPT-2 Hugging Face
/// folder): reads the job's files as causal-LM data, trains with `CausalLMTrainer` through
/// `JobTrainingHooks` (resuming from the job's latest checkpoint), LoRA adapters when
/// `hyperparameters.lora` is given and every weight otherwise, and names the checkpoint holding
/// the result.
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
        let loaded: CausalLMBase?
        do { loaded = try loadBase(job.model) } catch {
            throw JobFailure(code: "model_unavailable", message: "Base model \(job.model) cannot be loaded: \(error)", param: "model")
        }
        guard let base = loaded else {
            throw JobFailure(code: "model_not_found", message: "Base model \(job.model) is not available", param: "model")
        }
        var config: LoRAConfig?
        do {
            if job.hyperparameters["lora"] != nil { config = try LoRAConfig.from(hyperparameters: job.hyperparameters, layout: base.model.loraLayout) }
        } catch {
            throw JobFailure(code: "invalid_hyperparameters", message: error.message, param: error.param)
        }
        var arguments = TrainingArguments(job.hyperparameters.object ?? [:], seed: Int(job.seed))
        if arguments.maxSeqLength > base.model.maxT {
            try context.event("max_seq_length \(arguments.maxSeqLength) is longer than the model's context: examples are cut at \(base.model.maxT)")
            arguments.maxSeqLength = base.model.maxT
        }
        guard let training = try FileValidation.content(of: job.trainingFile, context) else {
            throw JobFailure(code: "invalid_training_file", message: "File \(job.trainingFile) no longer exists", param: "training_file")
        }
        let validation = try job.validationFile.map { file throws -> [UInt8] in
            guard let bytes = try FileValidation.content(of: file, context) else {
                throw JobFailure(code: "invalid_validation_file", message: "File \(file) no longer exists", param: "validation_file")
            }
            return bytes
        }
        let dataset: CausalLMDataset
        do {
            dataset = try CausalLMDataset(training: training, validation: validation, arguments: arguments, tokenizer: base.tokenizer,
                                          template: base.template, eos: base.eos)
        } catch {
            throw JobFailure(code: "invalid_training_file", message: error.description, param: "training_file")
        }
        let trainer = try CausalLMTrainer(model: base.model, lora: config, dataset: dataset, arguments: arguments)
        let method = trainer.lora.map { "LoRA r \($0.config.r), alpha \($0.config.alpha) on \($0.modules.map(\.id).joined(separator: ", "))" } ?? "Full fine-tuning"
        try context.event("\(method): \(trainer.trained.params.count) trainable parameters; \(dataset.train.count) examples (\(dataset.validation.count) for evaluation), \(trainer.totalSteps) steps")
        let outcome = try trainer.run(JobTrainingHooks(context: context))
        if outcome.stoppedEarly { try context.event("Early stopping after step \(outcome.steps)") }
        let manifest = ModelManifest(kind: .causalLM, base: job.model, architecture: job.architecture,
                                     adapter: trainer.lora.map { $0.config.resolved($0.layout) })
        return TrainingResult(trainedTokens: outcome.trainedTokens, resultFiles: [try ResultFile.write(context)], checkpoint: outcome.checkpoint,
                              manifest: manifest)
    }
}
