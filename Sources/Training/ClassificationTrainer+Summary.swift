import Engine
import Tensor

extension ClassificationTrainer {
    /// What trains, for the job's events: the adapter and the head, or nothing (every weight).
    public var adapterSummary: String? {
        lora.map { "LoRA r \($0.config.r), alpha \($0.config.alpha) on \($0.modules.map(\.id).joined(separator: ", ")), with the classifier: \($0.params.count) trainable parameters" }
    }

    /// The data and the plan, for the job's events.
    public var planSummary: String {
        "Training \(dataset.train.count) examples (\(dataset.validation.count) for evaluation), labels \(dataset.labels.joined(separator: ", ")), \(totalSteps) steps"
    }

    /// The adapter settings with the modules written out, for the model's manifest; nil without LoRA.
    public var adapterSettings: LoRAConfig? { lora.map { $0.config.resolved($0.layout) } }
    /// The tensors trained beside the adapter (the head), for the model's manifest.
    public var headTensors: [String] { lora?.savedTensors.map(\.name) ?? [] }
}
