import Engine
import Tensor

extension CausalLMTrainer {
    /// The method, what trains, the data and the plan, for the job's events.
    public var summary: String {
        return "\(adapterDescription(adapter)): \(trained.params.count) trainable parameters; \(dataset.train.count) examples (\(dataset.validation.count) for evaluation), \(totalSteps) steps"
    }

    /// The adapter settings with LoRA's modules written out, for the model's manifest; nil for a full fine-tune.
    public var adapterSettings: AdapterSettings? { settings(of: adapter) }
}

/// What an adapter trains, for a job's events: "LoRA r 8, alpha 16 on q_proj, v_proj",
/// "Prefix tuning, 20 virtual tokens", or "Full fine-tuning" without one.
func adapterDescription(_ adapter: (any Adapter)?) -> String {
    switch adapter {
    case let lora as LoRA: "LoRA r \(lora.config.r), alpha \(lora.config.alpha) on \(lora.modules.map(\.id).joined(separator: ", "))"
    case let prefix as PrefixTuning:
        "Prefix tuning, \(prefix.virtualTokens) virtual tokens" + (prefix.config.projection ? " through a projection of width \(prefix.hidden)" : "")
    default: "Full fine-tuning"
    }
}

/// An adapter's settings as a manifest keeps them (LoRA's target modules written out).
func settings(of adapter: (any Adapter)?) -> AdapterSettings? {
    switch adapter {
    case let lora as LoRA: .lora(lora.config.resolved(lora.layout))
    case let prefix as PrefixTuning: .prefix(prefix.config)
    default: nil
    }
}
