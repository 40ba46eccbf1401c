import Engine
import JSON
import Platform
import Tensor

/// Fine-tuning of a causal language model (Llama, GPT-2) on a `CausalLMDataset`, with LoRA (the
/// base weights frozen and shared, only the adapters trained) or in full (every weight), with
/// AdamW on the schedule, gradient accumulation and clipping; train metrics every
/// `logging_steps`, validation loss per `eval_strategy`, checkpoints (what is trained and its
/// AdamW moments: for LoRA megabytes, not the model) per `save_strategy`. As with
/// classification, the data position is a function of the step, so a resumed run repeats the
/// uninterrupted one.
public final class CausalLMTrainer {
    public let arguments: TrainingArguments
    public let dataset: CausalLMDataset
    public let model: any CausalLM
    /// The adapters with LoRA; nil for full fine-tuning.
    public let lora: LoRA?
    /// What the optimizer updates: the adapters, or the model's own weights.
    public let trained: TrainedParameters
    /// The checkpoint part holding `trained.params`: `lora` or `params`.
    public var weightsPart: String { lora == nil ? "params" : "lora" }
    var plan: TrainingPlan
    var state = TrainerState()
    /// Token accuracy since the last train metrics (not checkpointed: a resumed run's first window
    /// counts from the resume).
    var windowCorrect = 0, windowScored = 0
    public var stepsPerEpoch: Int { plan.stepsPerEpoch }
    public var totalSteps: Int { plan.totalSteps }

    /// `lora` nil: full fine-tuning (the model's weights change in place).
    public init(model: any CausalLM, lora config: LoRAConfig?, dataset: CausalLMDataset, arguments: TrainingArguments) throws {
        guard !dataset.train.isEmpty else { throw TrainingError("the training set is empty") }
        self.model = model
        self.dataset = dataset
        self.arguments = arguments
        if let config {
            let adapter: LoRA
            do { adapter = try LoRA(layout: model.loraLayout, config: config, seed: UInt64(arguments.seed), weightDecay: arguments.weightDecay) } catch {
                throw TrainingError(error.description)
            }
            (lora, trained) = (adapter, adapter.trained)
        } else {
            lora = nil
            trained = TrainedParameters(params: model.params, groups: model.parameterGroups, weightDecay: arguments.weightDecay)
        }
        plan = TrainingPlan(arguments: arguments, examples: dataset.train.count)
    }

    public func run(_ hooks: some TrainingHooks) throws -> TrainingOutcome {
        if let latest = try hooks.latestCheckpoint() { try restore(latest.state, parts: latest.parts, id: latest.id) }
        var lastSaved = state.lastCheckpoint, lastEvaluation: JSONObject?
        while state.step < totalSteps && !state.stoppedEarly {
            try hooks.shouldStop()
            let (loss, tokens) = trainStep()
            let lr = plan.schedule.rate(at: state.step)
            let norm = trained.step(lr: lr, maxGradNorm: arguments.maxGradNorm > 0 ? arguments.maxGradNorm : nil)
            state.step += 1
            state.trainedTokens += tokens
            state.windowLoss += Double(loss)
            state.windowSteps += 1
            let epoch = Double(state.step) / Double(stepsPerEpoch), last = state.step == totalSteps
            try hooks.progress(step: state.step, totalSteps: totalSteps, epoch: epoch, trainedTokens: state.trainedTokens)
            if state.step % arguments.loggingSteps == 0 || last {
                try hooks.metrics(kind: "train", step: state.step, epoch: epoch, values: [
                    "loss": .double(state.windowLoss / Double(state.windowSteps)), "learning_rate": .double(lr), "grad_norm": .double(norm),
                    "mean_token_accuracy": .double(windowScored == 0 ? 0 : Double(windowCorrect) / Double(windowScored)),
                ])
                (state.windowLoss, state.windowSteps, windowCorrect, windowScored) = (0, 0, 0, 0)
            }
            let epochEnd = state.step % stepsPerEpoch == 0 || last
            var evaluation: JSONObject?, improved = false
            if plan.due(arguments.evalStrategy, every: arguments.evalSteps ?? arguments.loggingSteps, step: state.step, epochEnd: epochEnd), !dataset.validation.isEmpty {
                let values = evaluate()
                try hooks.metrics(kind: "eval", step: state.step, epoch: epoch, values: values)
                (evaluation, lastEvaluation) = (values, values)
                improved = track(values["loss"]?.double)
            }
            if plan.due(arguments.saveStrategy, every: arguments.saveSteps, step: state.step, epochEnd: epochEnd) || last || state.stoppedEarly {
                let id = try hooks.saveCheckpoint(step: state.step, epoch: epoch, metrics: .object(evaluation ?? [:]),
                                                  state: state.json(seed: arguments.seed, optimizerStep: trained.optimizer.step, labels: [], isBest: improved),
                                                  parts: [(weightsPart, trained.params.bytes), ("m", trained.m.bytes), ("v", trained.v.bytes)],
                                                  isBest: improved, keep: arguments.saveTotalLimit)
                if improved { state.bestCheckpoint = id }
                (state.lastCheckpoint, lastSaved) = (id, id)
            }
        }
        var final = lastSaved ?? ""
        if arguments.loadBestModelAtEnd, let best = state.bestCheckpoint, best != lastSaved {
            guard let bytes = try hooks.loadCheckpoint(best)[weightsPart], trained.params.restore(bytes) else {
                throw TrainingError("checkpoint \(best) has no matching \(weightsPart)")
            }
            final = best
        }
        return TrainingOutcome(checkpoint: final, steps: state.step, trainedTokens: state.trainedTokens,
                               stoppedEarly: state.stoppedEarly, bestMetric: state.bestMetric, lastEvaluation: lastEvaluation)
    }

    /// Validation loss is the metric (lower is better): the best so far and early stopping.
    func track(_ loss: Double?) -> Bool {
        guard let loss else { return false }
        let previous = state.bestMetric
        let improved = previous.map { loss < $0 } ?? true
        if improved { state.bestMetric = loss }
        if let patience = arguments.earlyStoppingPatience {
            if let previous, !(improved && previous - loss > arguments.earlyStoppingThreshold) {
                state.patience += 1
                if state.patience >= patience { state.stoppedEarly = true }
            } else {
                state.patience = 0
            }
        }
        return improved
    }

    func restore(_ json: JSONValue, parts: [String: [UInt8]], id: String) throws {
        let restored = try TrainerState(json: json, id: id)
        for (name, arena) in [(weightsPart, trained.params), ("m", trained.m), ("v", trained.v)] {
            guard let bytes = parts[name], arena.restore(bytes) else { throw TrainingError("checkpoint \(id): part \(name) is missing or has the wrong size") }
        }
        trained.restoreOptimizerStep(json["optimizer_step"]?.int ?? restored.step)
        state = restored
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

    /// One optimizer step's micro-batches into the adapters' gradients; the mean loss and the tokens seen.
    func trainStep() -> (Float, Int) {
        let microBatches = plan.microBatches(step: state.step), count = microBatches.count
        trained.grads.zero()
        var loss: Float = 0, tokens = 0
        defer { lora?.dropoutSeed = nil }  // evaluation and serving run without dropout
        for (micro, indices) in microBatches.enumerated() {
            // A function of the step: a resumed run drops what the uninterrupted one did.
            lora?.dropoutSeed = SplitMix.hash(seed: SplitMix.hash(seed: UInt64(arguments.seed), index: state.step), index: micro)
            let batch = batch(dataset.train, indices)
            let result = model.lossAndGradients(batch.ids, targets: batch.targets, B: batch.B, T: batch.T,
                                                into: lora == nil ? trained.grads : nil, lora: lora,
                                                dloss: 1 / Float(count))
            loss += result.loss / Float(count)
            windowCorrect += result.correct
            windowScored += result.scored
            tokens += batch.ids.count
        }
        return (loss, tokens)
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
