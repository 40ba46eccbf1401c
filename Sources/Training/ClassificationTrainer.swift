import Engine
import JSON
import Tensor

/// Fine-tunes a BERT sequence classifier (`TrainingTask`): every weight, or with LoRA the
/// adapters and the head over a frozen encoder (the head kept in the adapter's arena, as PEFT's
/// `modules_to_save`, and read from there by the model). Train metrics add
/// `samples_per_second`; evaluation gives loss, accuracy, per-class scores and the confusion
/// matrix, and `metric_for_best_model` picks the best checkpoint.
public final class ClassificationTrainer: TrainingTask {
    public let arguments: TrainingArguments
    public let dataset: ClassificationDataset
    public let model: Bert
    /// The adapters (with the head) with LoRA; nil for full fine-tuning.
    public let lora: LoRA?
    public let trained: TrainedParameters

    public var weightsPart: CheckpointPart { CheckpointPart.weights(adapter: lora != nil) }
    public var trainingExamples: Int { dataset.train.count }
    public var hasValidation: Bool { !dataset.validation.isEmpty }
    public var labels: [String] { dataset.labels }
    public var bestMetric: (name: String, greaterIsBetter: Bool) { (arguments.metricForBestModel, arguments.greaterIsBetterResolved) }

    /// `config` is the base model's (its labels are replaced by the dataset's); `weights` the
    /// base checkpoint. The head is initialised from the seed unless the weights carry one.
    /// `lora`: train adapters and the head over a frozen encoder.
    public init(config base: BertConfig, weights: SafeTensors, dataset: ClassificationDataset, arguments: TrainingArguments,
                lora settings: LoRAConfig? = nil) throws {
        guard !dataset.train.isEmpty else { throw TrainingError("the training set is empty") }
        var config = base
        config.labels = dataset.labels
        if let p = arguments.dropout { config.hiddenDropout = Float(p); config.attentionDropout = Float(p) }
        let maxT = min(arguments.maxSeqLength, config.maxPositions)
        let maxB = max(arguments.perDeviceTrainBatchSize, arguments.perDeviceEvalBatchSize)
        model = Bert(config: config, maxB: maxB, maxT: maxT, trainable: true, frozen: settings != nil)
        model.firstTokenOnly = true  // the head reads only the first token: skip the rest of the last layer
        model.initializeHead(seed: UInt64(arguments.seed))
        let head = try BertCheckpoint.load(model, from: weights, headOptional: true)
        if head && base.labels != dataset.labels { model.initializeHead(seed: UInt64(arguments.seed)) }
        model.seed = UInt64(arguments.seed)
        if let settings {
            let adapter: LoRA
            do {
                adapter = try LoRA(layout: config.loraLayout, config: settings, seed: UInt64(arguments.seed), weightDecay: arguments.weightDecay,
                                   saved: config.loraHead)
            } catch { throw TrainingError(error.description) }
            model.trainHead(in: adapter)  // the head starts from the model's and lives in the adapter's arenas only
            model.lora = adapter
            (lora, trained) = (adapter, adapter.trained)
        } else {
            lora = nil
            trained = TrainedParameters(params: model.params, grads: model.grads!, groups: model.parameterGroups, weightDecay: arguments.weightDecay)
        }
        self.arguments = arguments
        self.dataset = dataset
    }

    /// One optimizer step's micro-batches: forward and backward with loss 1/k each.
    public func accumulate(step: Int, microBatches: [ArraySlice<Int>]) throws -> StepStats {
        let count = microBatches.count
        model.training = true
        model.step = trained.optimizer.step  // the encoder's dropout follows AdamW's update count
        model.zeroGradients()
        lora?.grads.zero()
        defer {
            model.training = false
            lora?.dropoutSeed = nil
        }
        var stats = StepStats(loss: 0, samples: 0, tokens: 0)
        for (micro, indices) in microBatches.enumerated() {
            lora?.dropoutSeed = dropoutSeed(step: step, micro: micro)
            let batch = dataset.batch(dataset.train, indices)
            try model.forward(batch)
            try model.backward(dloss: 1 / Float(count))
            stats.loss += model.loss / Float(count)
            stats.samples += batch.B
            stats.tokens += batch.mask.reduce(0) { $0 + Int($1) }
        }
        return stats
    }

    public func windowMetrics(samples: Int, seconds: Double) -> JSONObject {
        ["samples_per_second": .double(Double(samples) / seconds)]
    }

    /// Loss and classification metrics on the validation set, in eval mode (no dropout).
    public func evaluate() throws -> JSONObject {
        let examples = dataset.validation, bs = arguments.perDeviceEvalBatchSize, NL = dataset.labels.count
        var lossSum = 0.0
        var predicted: [Int] = []
        predicted.reserveCapacity(examples.count)
        var start = 0
        while start < examples.count {
            let indices = Array(start..<min(start + bs, examples.count))
            let batch = dataset.batch(examples, indices[...])
            try model.forward(batch)
            lossSum += Double(model.loss) * Double(batch.B)
            let logits = model.logits
            for row in 0..<batch.B {
                var best = 0
                for k in 1..<NL where logits[row * NL + k] > logits[row * NL + best] { best = k }
                predicted.append(best)
            }
            start += bs
        }
        let metrics = ClassificationMetrics(labels: dataset.labels, truth: examples.map { Int($0.label) }, predicted: predicted)
        var values = metrics.json.object ?? [:]
        values["loss"] = .double(lossSum / Double(max(1, examples.count)))
        return values
    }
}
