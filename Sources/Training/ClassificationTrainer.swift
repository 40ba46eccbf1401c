import Engine
import JSON
import Tensor

/// Fine-tunes a BERT sequence classifier (`TrainingTask`): every weight, or with an adapter
/// (LoRA, prefix tuning) the adapter and the head over a frozen encoder (the head kept in the
/// adapter's arena, as PEFT's `modules_to_save`, and read from there by the model). Train metrics add
/// `samples_per_second`; evaluation gives loss, accuracy, per-class scores and the confusion
/// matrix, and `metric_for_best_model` picks the best checkpoint.
public final class ClassificationTrainer: TrainingTask {
    public let arguments: TrainingArguments
    public let dataset: ClassificationDataset
    public var evaluationRanks: (any Collective)?
    public let model: Bert
    /// The adapter (with the head): LoRA or prefix tuning; nil for full fine-tuning.
    public let adapter: (any Adapter)?
    public var lora: LoRA? { adapter as? LoRA }
    public var prefix: PrefixTuning? { adapter as? PrefixTuning }
    public let trained: TrainedParameters

    public var weightsPart: CheckpointPart { CheckpointPart.weights(adapter: adapter != nil) }
    public var trainingExamples: Int { dataset.train.count }
    public var trainingLengths: [Int] { dataset.train.map(\.ids.count) }
    public var hasValidation: Bool { !dataset.validation.isEmpty }
    public var labels: [String] { dataset.labels }
    public var bestMetric: (name: String, greaterIsBetter: Bool) { (arguments.metricForBestModel, arguments.greaterIsBetterResolved) }

    /// `config` is the base model's (its labels are replaced by the dataset's); `weights` the
    /// base checkpoint. The head is initialised from the seed unless the weights carry one.
    /// `adapter`: train an adapter and the head over a frozen encoder.
    public init(config base: BertConfig, weights: SafeTensors, dataset: ClassificationDataset, arguments: TrainingArguments,
                adapter settings: AdapterSettings? = nil) throws {
        guard !dataset.train.isEmpty else { throw TrainingError("the training set is empty") }
        var config = base
        config.labels = dataset.labels
        if let p = arguments.dropout { config.hiddenDropout = Float(p); config.attentionDropout = Float(p) }
        let slots = settings?.prefix?.virtualTokens ?? 0
        let longest = (dataset.train + dataset.validation).map(\.ids.count).max() ?? 0
        guard slots + longest <= config.maxPositions else {
            throw TrainingError("\(slots) virtual tokens and sequences of up to \(longest) tokens exceed the model's \(config.maxPositions) positions; lower num_virtual_tokens or max_seq_length")
        }
        let maxT = min(arguments.maxSeqLength, config.maxPositions - slots)
        let maxB = max(arguments.perDeviceTrainBatchSize, arguments.perDeviceEvalBatchSize)
        model = Bert(config: config, maxB: maxB, maxT: maxT, trainable: true, frozen: settings != nil, prefixSlots: slots)
        model.firstTokenOnly = true  // the head reads only the first token: skip the rest of the last layer
        model.initializeHead(seed: UInt64(arguments.seed))
        let head = try BertCheckpoint.load(model, from: weights, headOptional: true)
        if head && base.labels != dataset.labels { model.initializeHead(seed: UInt64(arguments.seed)) }
        model.seed = UInt64(arguments.seed)
        let seed = UInt64(arguments.seed), decay = arguments.weightDecay
        switch settings {
        case .lora(let settings):
            let lora: LoRA
            do {
                lora = try LoRA(layout: config.loraLayout, config: settings, seed: seed, weightDecay: decay, saved: config.loraHead)
            } catch { throw TrainingError(error.description) }
            model.trainHead(in: lora)  // the head starts from the model's and lives in the adapter's arenas only
            model.lora = lora
            (adapter, trained) = (lora, lora.trained)
        case .prefix(let settings):
            let prefix = PrefixTuning(layout: config.prefixLayout, config: settings, seed: seed, weightDecay: decay, saved: config.loraHead)
            model.trainHead(in: prefix)
            model.prefix = prefix
            (adapter, trained) = (prefix, prefix.trained)
        case nil:
            adapter = nil
            trained = TrainedParameters(params: model.params, grads: model.grads!, groups: model.parameterGroups, weightDecay: arguments.weightDecay)
        }
        self.arguments = arguments
        self.dataset = dataset
    }

    /// One optimizer step's micro-batches: forward and backward with loss 1/k each.
    public func lossUnits(_ indices: ArraySlice<Int>) -> Int { indices.count }

    public func accumulate(step: Int, microBatches: [MicroBatch]) throws -> StepStats {
        let count = microBatches.count
        model.training = true
        model.step = trained.optimizer.step  // the encoder's dropout follows AdamW's update count
        model.zeroGradients()
        adapter?.grads.zero()
        defer {
            model.training = false
            lora?.dropoutSeed = nil
        }
        var stats = StepStats(loss: 0, samples: 0, tokens: 0)
        for (micro, part) in microBatches.enumerated() where !part.indices.isEmpty {
            lora?.dropoutSeed = dropoutSeed(step: step, micro: micro, stream: part.stream)
            let batch = dataset.batch(dataset.train, part.indices)
            model.dropoutStream = part.stream
            try model.forward(batch)
            try model.backward(dloss: part.share / Float(count))
            stats.loss += model.loss * part.share / Float(count)
            stats.samples += batch.B
            stats.tokens += batch.mask.reduce(0) { $0 + Int($1) }
        }
        return stats
    }

    public func windowMetrics(samples: Int, seconds: Double) -> JSONObject {
        ["samples_per_second": .double(Double(samples) / seconds)]
    }

    /// The encoder without its adapter (LoRA off, no prefix), with the head as it starts.
    public func evaluateBase() throws -> JSONObject {
        let (lora, prefix) = (model.lora, model.prefix)
        (model.lora, model.prefix) = (nil, nil)
        defer { (model.lora, model.prefix) = (lora, prefix) }
        return try evaluate()
    }

    /// Loss and classification metrics on the validation set, in eval mode (no dropout).
    /// With `evaluationRanks`, this rank's batches only; the loss and every prediction (as label
    /// + 1 at its example, 0 elsewhere) are then summed over the ranks.
    public func evaluate() throws -> JSONObject {
        let examples = dataset.validation, bs = arguments.perDeviceEvalBatchSize, NL = dataset.labels.count
        var lossSum = 0.0
        var labelPlusOne = [Double](repeating: 0, count: examples.count)
        for (number, start) in stride(from: 0, to: examples.count, by: bs).enumerated() {
            if let ranks = evaluationRanks, number % ranks.size != ranks.rank { continue }
            let indices = Array(start..<min(start + bs, examples.count))
            let batch = dataset.batch(examples, indices[...])
            try model.forward(batch)
            lossSum += Double(model.loss) * Double(batch.B)
            let logits = model.logits
            for row in 0..<batch.B {
                var best = 0
                for k in 1..<NL where logits[row * NL + k] > logits[row * NL + best] { best = k }
                labelPlusOne[start + row] = Double(best + 1)
            }
        }
        if let ranks = evaluationRanks {
            let sums = ranks.sum([lossSum] + labelPlusOne)
            (lossSum, labelPlusOne) = (sums[0], Array(sums[1...]))
        }
        let predicted = labelPlusOne.map { Int($0) - 1 }
        let metrics = ClassificationMetrics(labels: dataset.labels, truth: examples.map { Int($0.label) }, predicted: predicted)
        var values = metrics.json.object ?? [:]
        values["loss"] = .double(lossSum / Double(max(1, examples.count)))
        return values
    }
}
