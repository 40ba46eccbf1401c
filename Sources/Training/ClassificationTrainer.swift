import Engine
import JSON
import Tensor

/// Fine-tunes a BERT sequence classifier: seeded shuffle per epoch, gradient accumulation,
/// clipping, AdamW on the learning-rate schedule, train metrics every `logging_steps`,
/// evaluation per `eval_strategy`, checkpoints per `save_strategy`, early stopping. The data
/// position is a function of the global step, so a run resumed from a checkpoint repeats the
/// uninterrupted run exactly. With LoRA the encoder is frozen: adapters and the head train
/// (the head kept with the adapters, as PEFT's `modules_to_save`).
public final class ClassificationTrainer {
    public let arguments: TrainingArguments
    public let dataset: ClassificationDataset
    public let model: Bert
    /// The adapters (and the head's trained copy) with LoRA; nil for full fine-tuning.
    public let lora: LoRA?
    var plan: TrainingPlan
    var state = TrainerState()
    public var stepsPerEpoch: Int { plan.stepsPerEpoch }
    public var totalSteps: Int { plan.totalSteps }

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
        model = Bert(config: config, maxB: maxB, maxT: maxT, trainable: true, frozen: settings != nil,
                     optimizer: AdamW(weightDecay: arguments.weightDecay))
        model.firstTokenOnly = true  // the head reads only the first token: skip the rest of the last layer
        model.initializeHead(seed: UInt64(arguments.seed))
        let head = try BertCheckpoint.load(model, from: weights, headOptional: true)
        if head && base.labels != dataset.labels { model.initializeHead(seed: UInt64(arguments.seed)) }
        model.seed = UInt64(arguments.seed)
        if let settings {
            let C = config.hiddenSize, NL = config.numLabels
            do {
                lora = try LoRA(layout: config.loraLayout, config: settings, seed: UInt64(arguments.seed), weightDecay: arguments.weightDecay,
                                saved: [("classifier.weight", [NL, C], true), ("classifier.bias", [NL], false)])
            } catch { throw TrainingError(error.description) }
            lora!.saved("classifier.weight")!.update(from: model.parameters.clsw.pointer, count: NL * C)
            lora!.saved("classifier.bias")!.update(from: model.parameters.clsb.pointer, count: NL)
            model.lora = lora
        } else {
            lora = nil
        }
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
            let norm = step(lr: lr)
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
                let restored = lora.map { lora in parts["lora"].map { lora.params.restore($0) } ?? false }
                    ?? parts["params"].map { model.restore(.params, bytes: $0) } ?? false
                guard restored else { throw TrainingError("checkpoint \(best) has no matching parameters") }
                syncHead()
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
        lora?.grads.zero()
        defer { lora?.dropoutSeed = nil }
        var loss: Float = 0, samples = 0, tokens = 0
        for (micro, indices) in microBatches.enumerated() {
            lora?.dropoutSeed = SplitMix.hash(seed: SplitMix.hash(seed: UInt64(arguments.seed), index: state.step), index: micro)
            let batch = dataset.batch(dataset.train, indices)
            try model.forward(batch)
            try model.backward(dloss: 1 / Float(count))
            loss += model.loss / Float(count)
            samples += batch.B
            tokens += batch.mask.reduce(0) { $0 + Int($1) }
        }
        return (loss, samples, tokens)
    }

    /// One optimizer step: AdamW over every weight, or with LoRA over the adapters and the head
    /// (clipped together, as one model's trainable parameters); returns the gradient norm.
    func step(lr: Double) -> Double {
        let maxNorm = arguments.maxGradNorm > 0 ? arguments.maxGradNorm : nil
        guard let lora, let g = model.gradients else { return model.step(lr: lr, maxGradNorm: maxNorm) }
        let NL = model.config.numLabels, C = model.config.hiddenSize
        lora.saved("classifier.weight", in: lora.grads)!.update(from: g.clsw.pointer, count: NL * C)
        lora.saved("classifier.bias", in: lora.grads)!.update(from: g.clsb.pointer, count: NL)
        let norm = lora.trained.step(lr: lr, maxGradNorm: maxNorm)
        syncHead()
        return norm
    }

    /// Copies the head's trained values (with LoRA) into the model, and sets the step that
    /// seeds the encoder's dropout (AdamW's count, which the model's own optimizer keeps
    /// without LoRA).
    func syncHead() {
        guard let lora else { return }
        let NL = model.config.numLabels, C = model.config.hiddenSize
        model.parameters.clsw.pointer.update(from: lora.saved("classifier.weight")!, count: NL * C)
        model.parameters.clsb.pointer.update(from: lora.saved("classifier.bias")!, count: NL)
        model.restoreOptimizerStep(lora.trained.optimizer.step)
    }
}
