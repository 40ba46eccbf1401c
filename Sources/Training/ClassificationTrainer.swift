import Engine
import JSON

/// Fine-tunes a BERT sequence classifier: seeded shuffle per epoch, gradient accumulation,
/// clipping, AdamW on the learning-rate schedule, train metrics every `logging_steps`,
/// evaluation per `eval_strategy`, checkpoints per `save_strategy`, early stopping. The data
/// position is a function of the global step, so a run resumed from a checkpoint repeats the
/// uninterrupted run exactly.
public final class ClassificationTrainer {
    public let arguments: TrainingArguments
    public let dataset: ClassificationDataset
    public let model: Bert
    var plan: TrainingPlan
    var state = TrainerState()
    public var stepsPerEpoch: Int { plan.stepsPerEpoch }
    public var totalSteps: Int { plan.totalSteps }

    /// `config` is the base model's (its labels are replaced by the dataset's); `weights` the
    /// base checkpoint. The head is initialised from the seed unless the weights carry one.
    public init(config base: BertConfig, weights: SafeTensors, dataset: ClassificationDataset, arguments: TrainingArguments) throws {
        guard !dataset.train.isEmpty else { throw TrainingError("the training set is empty") }
        var config = base
        config.labels = dataset.labels
        if let p = arguments.dropout { config.hiddenDropout = Float(p); config.attentionDropout = Float(p) }
        let maxT = min(arguments.maxSeqLength, config.maxPositions)
        let maxB = max(arguments.perDeviceTrainBatchSize, arguments.perDeviceEvalBatchSize)
        model = Bert(config: config, maxB: maxB, maxT: maxT, trainable: true, optimizer: AdamW(weightDecay: arguments.weightDecay))
        model.initializeHead(seed: UInt64(arguments.seed))
        let head = try BertCheckpoint.load(model, from: weights, headOptional: true)
        if head && base.labels != dataset.labels { model.initializeHead(seed: UInt64(arguments.seed)) }
        model.seed = UInt64(arguments.seed)
        self.arguments = arguments
        self.dataset = dataset
        plan = TrainingPlan(arguments: arguments, examples: dataset.train.count)
    }

    /// Trains to the end (or early stop), resuming from the hooks' latest checkpoint if any.
    public func run(_ hooks: some TrainingHooks) throws -> TrainingOutcome {
        if let latest = try hooks.latestCheckpoint() { try restore(state: latest.state, parts: latest.parts, id: latest.id) }
        var lastSaved: String? = state.lastCheckpoint
        var lastEvaluation: JSONObject?
        let clock = ContinuousClock()
        var windowStart = clock.now, windowSamples = 0
        while state.step < totalSteps && !state.stoppedEarly {
            try hooks.shouldStop()
            let (loss, samples, tokens) = try trainStep()
            let lr = plan.schedule.rate(at: state.step)
            model.training = true
            let norm = model.step(lr: lr, maxGradNorm: arguments.maxGradNorm > 0 ? arguments.maxGradNorm : nil)
            state.step += 1
            state.trainedTokens += tokens
            state.windowLoss += Double(loss)
            state.windowSteps += 1
            windowSamples += samples
            let epoch = Double(state.step) / Double(stepsPerEpoch)
            try hooks.progress(step: state.step, totalSteps: totalSteps, epoch: epoch, trainedTokens: state.trainedTokens)
            let last = state.step == totalSteps
            if state.step % arguments.loggingSteps == 0 || last {
                let elapsed = (clock.now - windowStart).components
                let seconds = max(1e-9, Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18)
                try hooks.metrics(kind: "train", step: state.step, epoch: epoch, values: [
                    "loss": .double(state.windowLoss / Double(state.windowSteps)), "learning_rate": .double(lr),
                    "grad_norm": .double(norm), "samples_per_second": .double(Double(windowSamples) / seconds),
                ])
                (state.windowLoss, state.windowSteps, windowSamples, windowStart) = (0, 0, 0, clock.now)
            }
            let epochEnd = state.step % stepsPerEpoch == 0 || last
            var evaluation: JSONObject?
            var improved = false
            if plan.due(arguments.evalStrategy, every: arguments.evalSteps ?? arguments.loggingSteps, step: state.step, epochEnd: epochEnd), !dataset.validation.isEmpty {
                let values = try evaluate()
                try hooks.metrics(kind: "eval", step: state.step, epoch: epoch, values: values)
                evaluation = values
                lastEvaluation = values
                improved = track(values)
            }
            if plan.due(arguments.saveStrategy, every: arguments.saveSteps, step: state.step, epochEnd: epochEnd) || last || state.stoppedEarly {
                let id = try hooks.saveCheckpoint(step: state.step, epoch: epoch, metrics: .object(evaluation ?? [:]),
                                                  state: stateJSON(isBest: improved), parts: parts(),
                                                  isBest: improved, keep: arguments.saveTotalLimit)
                if improved { state.bestCheckpoint = id }
                state.lastCheckpoint = id
                lastSaved = id
            }
        }
        model.training = false
        var final = lastSaved ?? ""
        if arguments.loadBestModelAtEnd, let best = state.bestCheckpoint {
            final = best
            if best != lastSaved {
                let parts = try hooks.loadCheckpoint(best)
                guard let params = parts["params"], model.restore(.params, bytes: params) else {
                    throw TrainingError("checkpoint \(best) has no matching parameters")
                }
            }
        }
        return TrainingOutcome(checkpoint: final, steps: state.step, trainedTokens: state.trainedTokens,
                               stoppedEarly: state.stoppedEarly, bestMetric: state.bestMetric, lastEvaluation: lastEvaluation)
    }

    /// One optimizer step's micro-batches: forward and backward with loss 1/k each; returns the
    /// mean loss, the samples and the real tokens seen.
    func trainStep() throws -> (Float, Int, Int) {
        let microBatches = plan.microBatches(step: state.step), count = microBatches.count
        model.training = true
        model.zeroGradients()
        var loss: Float = 0, samples = 0, tokens = 0
        for indices in microBatches {
            let batch = dataset.batch(dataset.train, indices)
            try model.forward(batch)
            try model.backward(dloss: 1 / Float(count))
            loss += model.loss / Float(count)
            samples += batch.B
            tokens += batch.mask.reduce(0) { $0 + Int($1) }
        }
        return (loss, samples, tokens)
    }
}
