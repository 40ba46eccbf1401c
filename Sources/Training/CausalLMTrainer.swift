import Engine
import JSON
import Platform
import Tensor

/// Fine-tuning of a causal language model (Llama, GPT-2) on a `CausalLMDataset`
/// (`TrainingTask`), with LoRA (the base weights frozen and shared, only the adapters trained)
/// or in full (every weight). Checkpoints hold what is trained and its AdamW moments: for LoRA
/// megabytes, not the model. Train metrics add `mean_token_accuracy`; evaluation gives the
/// validation loss (lower is better: it picks the best checkpoint), perplexity and accuracy.
public final class CausalLMTrainer: TrainingTask {
    public let arguments: TrainingArguments
    public let dataset: CausalLMDataset
    public let model: any CausalLM
    /// The adapters with LoRA; nil for full fine-tuning.
    public let lora: LoRA?
    /// What the optimizer updates: the adapters, or the model's own weights.
    public let trained: TrainedParameters
    /// Token accuracy since the last train metrics (not checkpointed: a resumed run's first window
    /// counts from the resume).
    var windowCorrect = 0, windowScored = 0

    public var weightsPart: CheckpointPart { CheckpointPart.weights(adapter: lora != nil) }
    public var trainingExamples: Int { dataset.train.count }
    public var hasValidation: Bool { !dataset.validation.isEmpty }
    public var labels: [String] { [] }
    public var bestMetric: (name: String, greaterIsBetter: Bool) { ("loss", false) }

    /// `lora` nil: full fine-tuning (the model's weights change in place).
    public init(model: any CausalLM, lora config: LoRAConfig?, dataset: CausalLMDataset, arguments: TrainingArguments) throws {
        guard !dataset.train.isEmpty else { throw TrainingError("the training set is empty") }
        self.model = model
        self.dataset = dataset
        self.arguments = arguments
        (lora, trained) = try Self.trainable(model, lora: config, arguments: arguments)
    }

    /// What a language model's fine-tune trains: new LoRA adapters (seeded from the arguments),
    /// or with no `lora` settings the model's own weights.
    static func trainable(_ model: any CausalLM, lora config: LoRAConfig?, arguments: TrainingArguments) throws -> (LoRA?, TrainedParameters) {
        guard let config else {
            return (nil, TrainedParameters(params: model.params, groups: model.parameterGroups, weightDecay: arguments.weightDecay))
        }
        do {
            let adapter = try LoRA(layout: model.loraLayout, config: config, seed: UInt64(arguments.seed), weightDecay: arguments.weightDecay)
            return (adapter, adapter.trained)
        } catch {
            throw TrainingError(error.description)
        }
    }

    /// The examples at `indices` right-padded to the longest (targets -100 there; the attention
    /// is causal, so padding after a sequence does not change it).
    func batch(_ examples: [CausalLMExample], _ indices: ArraySlice<Int>) -> (ids: [Int32], targets: [Int32], B: Int, T: Int) {
        let T = indices.map { examples[$0].ids.count }.max() ?? 1
        var ids: [Int32] = [], targets: [Int32] = []
        for index in indices {
            let e = examples[index], pad = T - e.ids.count
            ids += e.ids + [Int32](repeating: 0, count: pad)
            targets += e.targets + [Int32](repeating: -100, count: pad)
        }
        return (ids, targets, indices.count, T)
    }

    /// One optimizer step's micro-batches into the trained parameters' gradients.
    public func accumulate(step: Int, microBatches: [ArraySlice<Int>]) throws -> StepStats {
        let count = microBatches.count
        trained.grads.zero()
        var stats = StepStats(loss: 0, samples: 0, tokens: 0)
        defer { lora?.dropoutSeed = nil }  // evaluation and serving run without dropout
        for (micro, indices) in microBatches.enumerated() {
            lora?.dropoutSeed = dropoutSeed(step: step, micro: micro)
            let batch = batch(dataset.train, indices)
            let result = model.lossAndGradients(batch.ids, targets: batch.targets, B: batch.B, T: batch.T,
                                                into: lora == nil ? trained.grads : nil, lora: lora,
                                                dloss: 1 / Float(count))
            stats.loss += result.loss / Float(count)
            windowCorrect += result.correct
            windowScored += result.scored
            stats.samples += batch.B
            stats.tokens += batch.ids.count
        }
        return stats
    }

    public func windowMetrics(samples: Int, seconds: Double) -> JSONObject {
        defer { (windowCorrect, windowScored) = (0, 0) }
        return ["mean_token_accuracy": .double(windowScored == 0 ? 0 : Double(windowCorrect) / Double(windowScored))]
    }

    /// Mean token loss on the validation set (weighted by the tokens each batch scores), its
    /// perplexity, and the mean token accuracy.
    public func evaluate() -> JSONObject {
        var total = 0.0, scored = 0, correct = 0, start = 0
        let examples = dataset.validation, bs = arguments.perDeviceEvalBatchSize
        while start < examples.count {
            let batch = batch(examples, Array(start..<min(start + bs, examples.count))[...])
            let result = model.loss(batch.ids, targets: batch.targets, B: batch.B, T: batch.T, lora: lora)
            total += Double(result.loss) * Double(result.scored)
            (scored, correct) = (scored + result.scored, correct + result.correct)
            start += bs
        }
        let loss = total / Double(max(1, scored))
        return ["loss": .double(loss), "perplexity": .double(Math.exp(loss)), "mean_token_accuracy": .double(Double(correct) / Double(max(1, scored)))]
    }
}
