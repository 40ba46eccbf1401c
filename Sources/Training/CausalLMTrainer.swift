import Engine
import JSON
import Platform
import Tensor

/// Fine-tuning of a causal language model (Llama, GPT-2) on a `CausalLMDataset`
/// (`TrainingTask`), with an adapter (LoRA or prefix tuning: the base weights frozen and shared,
/// only the adapter trained) or in full (every weight). Checkpoints hold what is trained and its
/// AdamW moments: for an adapter megabytes, not the model. Train metrics add `mean_token_accuracy`; evaluation gives the
/// validation loss (lower is better: it picks the best checkpoint), perplexity and accuracy.
public final class CausalLMTrainer: TrainingTask {
    public let arguments: TrainingArguments
    public let dataset: CausalLMDataset
    public var evaluationRanks: (any Collective)?
    public let model: any CausalLM
    /// The adapter (LoRA or prefix tuning); nil for full fine-tuning.
    public let adapter: (any Adapter)?
    public var lora: LoRA? { adapter as? LoRA }
    public var prefix: PrefixTuning? { adapter as? PrefixTuning }
    /// What the optimizer updates: the adapters, or the model's own weights.
    public let trained: TrainedParameters
    /// Token accuracy since the last train metrics (not checkpointed: a resumed run's first window
    /// counts from the resume).
    var windowCorrect = 0, windowScored = 0

    public var weightsPart: CheckpointPart { CheckpointPart.weights(adapter: adapter != nil) }
    public var trainingExamples: Int { dataset.train.count }
    public var trainingLengths: [Int] { dataset.train.map(\.ids.count) }
    public var hasValidation: Bool { !dataset.validation.isEmpty }
    public var labels: [String] { [] }
    public var bestMetric: (name: String, greaterIsBetter: Bool) { ("loss", false) }

    /// `adapter` nil: full fine-tuning (the model's weights change in place).
    public init(model: any CausalLM, adapter settings: AdapterSettings?, dataset: CausalLMDataset, arguments: TrainingArguments) throws {
        guard !dataset.train.isEmpty else { throw TrainingError("the training set is empty") }
        self.model = model
        self.dataset = dataset
        self.arguments = arguments
        let longest = (dataset.train + dataset.validation).map(\.ids.count).max() ?? 0
        (adapter, trained) = try Self.trainable(model, adapter: settings, longest: longest, arguments: arguments)
    }

    /// What a language model's fine-tune trains: a new adapter (seeded from the arguments), or
    /// without adapter settings the model's own weights. `longest`: the longest sequence, which
    /// a prefix's slots must fit beside in the model's positions.
    static func trainable(_ model: any CausalLM, adapter settings: AdapterSettings?, longest: Int,
                          arguments: TrainingArguments) throws -> ((any Adapter)?, TrainedParameters) {
        let seed = UInt64(arguments.seed), decay = arguments.weightDecay
        switch settings {
        case nil:
            return (nil, TrainedParameters(params: model.params, groups: model.parameterGroups, weightDecay: decay))
        case .lora(let config):
            do {
                let adapter = try LoRA(layout: model.loraLayout, config: config, seed: seed, weightDecay: decay)
                return (adapter, adapter.trained)
            } catch {
                throw TrainingError(error.description)
            }
        case .prefix(let config):
            guard config.virtualTokens + longest <= model.maxT else {
                throw TrainingError("\(config.virtualTokens) virtual tokens and sequences of up to \(longest) tokens exceed the model's \(model.maxT) positions; lower num_virtual_tokens or max_seq_length")
            }
            let adapter = PrefixTuning(layout: model.prefixLayout, config: config, seed: seed, weightDecay: decay)
            return (adapter, adapter.trained)
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
    /// Scored tokens: the loss is their mean.
    public func lossUnits(_ indices: ArraySlice<Int>) -> Int {
        indices.reduce(0) { sum, i in sum + dataset.train[i].targets.reduce(0) { $0 + ($1 == -100 ? 0 : 1) } }
    }

    public func accumulate(step: Int, microBatches: [MicroBatch]) throws -> StepStats {
        let count = microBatches.count
        trained.grads.zero()
        var stats = StepStats(loss: 0, samples: 0, tokens: 0)
        defer { lora?.dropoutSeed = nil }  // evaluation and serving run without dropout
        for (micro, part) in microBatches.enumerated() where !part.indices.isEmpty {
            lora?.dropoutSeed = dropoutSeed(step: step, micro: micro, stream: part.stream)
            let batch = batch(dataset.train, part.indices)
            let result = model.lossAndGradients(batch.ids, targets: batch.targets, B: batch.B, T: batch.T,
                                                into: adapter == nil ? trained.grads : nil, lora: lora, prefix: prefix,
                                                objective: .mean(dloss: part.share / Float(count)))
            stats.loss += result.loss * part.share / Float(count)
            windowCorrect += result.correct
            windowScored += result.scored
            stats.samples += batch.B
            stats.tokens += batch.ids.count
        }
        return stats
    }

    public var windowCounters: [Double] {
        get { [Double(windowCorrect), Double(windowScored)] }
        set { (windowCorrect, windowScored) = (Int(newValue[0]), Int(newValue[1])) }
    }

    public func windowMetrics(samples: Int, seconds: Double) -> JSONObject {
        defer { (windowCorrect, windowScored) = (0, 0) }
        return ["mean_token_accuracy": .double(windowScored == 0 ? 0 : Double(windowCorrect) / Double(windowScored))]
    }

    /// Mean token loss on the validation set (weighted by the tokens each batch scores), its
    /// perplexity, and the mean token accuracy.
    public func evaluate() -> JSONObject { evaluate(lora: lora, prefix: prefix) }

    public func evaluateBase() -> JSONObject { evaluate(lora: nil, prefix: nil) }

    /// With `evaluationRanks`, this rank's batches only, the sums added over the ranks.
    func evaluate(lora: LoRA?, prefix: PrefixTuning?) -> JSONObject {
        var total = 0.0, scored = 0, correct = 0
        let examples = dataset.validation, bs = arguments.perDeviceEvalBatchSize
        for (number, start) in stride(from: 0, to: examples.count, by: bs).enumerated() {
            if let ranks = evaluationRanks, number % ranks.size != ranks.rank { continue }
            let batch = batch(examples, Array(start..<min(start + bs, examples.count))[...])
            let result = model.loss(batch.ids, targets: batch.targets, B: batch.B, T: batch.T, lora: lora, prefix: prefix, objective: .mean(dloss: 1))
            total += Double(result.loss) * Double(result.scored)
            (scored, correct) = (scored + result.scored, correct + result.correct)
        }
        if let ranks = evaluationRanks {
            let sums = ranks.sum([total, Double(scored), Double(correct)])
            (total, scored, correct) = (sums[0], Int(sums[1]), Int(sums[2]))
        }
        let loss = total / Double(max(1, scored))
        return ["loss": .double(loss), "perplexity": .double(Math.exp(loss)), "mean_token_accuracy": .double(Double(correct) / Double(max(1, scored)))]
    }
}
