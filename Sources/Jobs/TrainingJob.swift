import Training
import JSON
import Models

/// Trains one claimed job. Implementations call `context.throwIfInterrupted()` between steps, so that
/// cancel, pause, lost leases and shutdown reach them within a step, and report progress.
public protocol TrainingJob: Sendable {
    /// What the run produced: the checkpoint holding the model, result files, tokens trained.
    func train(_ context: JobContext) throws -> TrainingResult
}

public struct TrainingResult: Sendable {
    public var trainedTokens: Int
    public var resultFiles: [String]
    /// The checkpoint holding the fine-tuned model's weights.
    public var checkpoint: String?
    /// What the fine-tuned model is: written into its `model` row.
    public var manifest: ModelManifest
    public init(trainedTokens: Int, resultFiles: [String] = [], checkpoint: String? = nil, manifest: ModelManifest) {
        (self.trainedTokens, self.resultFiles, self.checkpoint, self.manifest) = (trainedTokens, resultFiles, checkpoint, manifest)
    }
}

/// Why a trainer stopped early; thrown by `JobContext.throwIfInterrupted()`.
public enum JobInterruption: Error, Sendable, Equatable, CustomStringConvertible {
    /// The job was cancelled or paused through the API (the new status).
    case statusChanged(JobStatus)
    /// Another worker owns the job now: our lease expired.
    case leaseLost
    /// This process is shutting down; the job goes back to the queue.
    case shutdown

    public var description: String {
        switch self {
        case .statusChanged(let status): return "job is now \(status)"
        case .leaseLost: return "lease lost"
        case .shutdown: return "worker shutting down"
        }
    }
}

/// A failure the user should read in the job's `error` (code, message, param).
public struct JobFailure: Error, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var param: String?
    public init(code: String, message: String, param: String? = nil) {
        self.code = code
        self.message = message
        self.param = param
    }

    /// A failure of the job's hyperparameters, named by their parameter.
    static func invalid(_ error: HyperparameterError) -> JobFailure {
        JobFailure(code: "invalid_hyperparameters", message: error.message, param: error.param)
    }
    public var description: String { message }
    public var json: JSONValue {
        ["code": .string(code), "message": .string(message), "param": param.map(JSONValue.string) ?? .null]
    }
}

/// Trainers by model architecture (`bert`, `llama`, ...).
public struct TrainerRegistry: Sendable {
    private var trainers: [String: any TrainingJob] = [:]
    /// Where the trainers' base models come from, for the jobs' reproducibility manifests.
    public var catalog: ModelCatalog?
    public init() {}

    /// Every architecture Anneal trains, with bases from `catalog`: BERT-family classifiers, and
    /// causal language models (GGUF Llama, Hugging Face Llama and GPT-2; LoRA or full).
    public static func standard(catalog: ModelCatalog) -> TrainerRegistry {
        var registry = TrainerRegistry()
        registry.catalog = catalog
        registry.register("bert", BertClassificationJob(catalog: catalog))
        for architecture in ["gguf", "llama", "gpt2"] { registry.register(architecture, CausalLMJob(catalog: catalog)) }
        return registry
    }

    /// `other`'s trainers, and this one's for the architectures `other` lacks.
    public func merging(_ other: TrainerRegistry) -> TrainerRegistry {
        var merged = self
        for (architecture, trainer) in other.trainers { merged.trainers[architecture] = trainer }
        return merged
    }
    public mutating func register(_ architecture: String, _ trainer: any TrainingJob) { trainers[architecture] = trainer }
    public func trainer(for architecture: String) -> (any TrainingJob)? { trainers[architecture] }
}
