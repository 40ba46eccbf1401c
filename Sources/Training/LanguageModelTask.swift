import Engine
import JSON
import Tensor

/// A language model's training task as a job describes it: supervised (`CausalLMTrainer`) or
/// preference tuning (`PreferenceTrainer`).
public protocol LanguageModelTask: TrainingTask {
    /// The method, what trains, the data and the plan, for the job's events.
    var summary: String { get }
    /// The adapter settings with the modules written out, for the model's manifest; nil for a full fine-tune.
    var adapterSettings: AdapterSettings? { get }
    var validationExamples: Int { get }
    /// Token-count percentiles of the training examples and how many the cut shortens.
    func lengthSummary(maxLength: Int) -> JSONObject
}

extension CausalLMTrainer: LanguageModelTask {
    public var validationExamples: Int { dataset.validation.count }
    public func lengthSummary(maxLength: Int) -> JSONObject { dataset.lengthSummary(maxLength: maxLength) }
}

extension PreferenceTrainer: LanguageModelTask {
    public var summary: String {
        let loss = objective.kind == .orpo ? "ORPO" : "DPO (\(objective.kind.rawValue) loss)"
        let reference = objective.kind == .orpo ? "no reference model" : adapter != nil ? "reference: the base without the adapter" : "reference: the model before training"
        return "\(loss), beta \(objective.beta), \(reference); \(adapterDescription(adapter)): \(trained.params.count) trainable parameters; \(dataset.train.count) pairs (\(dataset.validation.count) for evaluation), \(totalSteps) steps"
    }

    public var adapterSettings: AdapterSettings? { settings(of: adapter) }
    public var validationExamples: Int { dataset.validation.count }
    public func lengthSummary(maxLength: Int) -> JSONObject { dataset.lengthSummary(maxLength: maxLength) }
}
