import Engine
import Tensor

extension ClassificationTrainer {
    /// What trains, for the job's events: the adapter and the head, or nothing (every weight).
    public var adapterSummary: String? {
        adapter.map { "\(adapterDescription($0)), with the classifier: \($0.params.count) trainable parameters" }
    }

    /// The data and the plan, for the job's events.
    public var planSummary: String {
        "Training \(dataset.train.count) examples (\(dataset.validation.count) for evaluation), labels \(dataset.labels.joined(separator: ", ")), \(totalSteps) steps"
    }

    /// The adapter settings with LoRA's modules written out, for the model's manifest; nil without an adapter.
    public var adapterSettings: AdapterSettings? { settings(of: adapter) }
    /// The tensors trained beside the adapter (the head), for the model's manifest.
    public var headTensors: [String] { adapter?.savedTensors.map(\.name) ?? [] }
}
