import Engine
import Tensor

extension CausalLMTrainer {
    /// The method, what trains, the data and the plan, for the job's events.
    public var summary: String {
        let method = lora.map { "LoRA r \($0.config.r), alpha \($0.config.alpha) on \($0.modules.map(\.id).joined(separator: ", "))" } ?? "Full fine-tuning"
        return "\(method): \(trained.params.count) trainable parameters; \(dataset.train.count) examples (\(dataset.validation.count) for evaluation), \(totalSteps) steps"
    }

    /// The adapter settings with the modules written out, for the model's manifest; nil for a full fine-tune.
    public var adapterSettings: LoRAConfig? { lora.map { $0.config.resolved($0.layout) } }
}
