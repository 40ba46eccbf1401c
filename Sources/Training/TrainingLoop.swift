import Engine
import JSON
import Tensor

/// The training loop every fine-tuning method runs (`TrainingTask`): AdamW on the learning-rate
/// schedule with gradient accumulation and clipping, train metrics every `logging_steps`,
/// evaluation per `eval_strategy`, checkpoints per `save_strategy` (and before a stop that asks
/// for one: a shutdown), the best checkpoint and early stopping, cancellation between steps,
/// and resuming. The data position is a function of the global step, so a run resumed from a
/// checkpoint repeats the uninterrupted run exactly.
struct TrainingLoop<Task: TrainingTask> {
    let task: Task
    var plan: TrainingPlan
    var state = TrainerState()
    /// The step of the newest checkpoint of this run (or the one it resumed from).
    var savedStep = 0

    init(task: Task) {
        self.task = task
        plan = TrainingPlan(arguments: task.arguments, examples: task.trainingExamples, lengths: task.trainingLengths)
    }

    var arguments: TrainingArguments { task.arguments }

    mutating func run(_ hooks: some TrainingHooks) throws -> TrainingOutcome {
        if let latest = try hooks.latestCheckpoint() { try restore(latest.state, parts: latest.parts, id: latest.id) }
        var lastEvaluation: JSONObject?
        let clock = ContinuousClock()
        var windowStart = clock.now, windowSamples = 0
        let totalSteps = plan.totalSteps, stepsPerEpoch = plan.stepsPerEpoch
        if arguments.evalOnStart && state.step == 0 && task.hasValidation {
            try hooks.metrics(kind: "eval", step: 0, epoch: 0, values: try task.evaluateBase())
        }
        while state.step < totalSteps && !state.stoppedEarly {
            do { try hooks.shouldStop() } catch {
                // A shutdown keeps what was trained since the last checkpoint, when there is time.
                let bytes = 3 * task.trained.params.count * MemoryLayout<Float>.size
                if state.step > savedStep && hooks.savesBeforeStopping(checkpointBytes: bytes) {
                    _ = try save(hooks, metrics: [:], isBest: false, keep: nil)
                }
                throw error
            }
            let stats = try task.accumulate(step: state.step, microBatches: plan.microBatches(step: state.step))
            let lr = plan.schedule.rate(at: state.step)
            let norm = task.trained.step(lr: lr, maxGradNorm: arguments.maxGradNorm > 0 ? arguments.maxGradNorm : nil)
            state.step += 1
            state.trainedTokens += stats.tokens
            state.windowLoss += Double(stats.loss)
            state.windowSteps += 1
            windowSamples += stats.samples
            let epoch = Double(state.step) / Double(stepsPerEpoch), last = state.step == totalSteps
            try hooks.progress(step: state.step, totalSteps: totalSteps, epoch: epoch, trainedTokens: state.trainedTokens)
            if state.step % arguments.loggingSteps == 0 || last {
                let elapsed = (clock.now - windowStart).components
                let seconds = max(1e-9, Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18)
                var values: JSONObject = ["loss": .double(state.windowLoss / Double(state.windowSteps)), "learning_rate": .double(lr),
                                          "grad_norm": .double(norm)]
                for (name, value) in task.windowMetrics(samples: windowSamples, seconds: seconds) { values[name] = value }
                try hooks.metrics(kind: "train", step: state.step, epoch: epoch, values: values)
                (state.windowLoss, state.windowSteps, windowSamples, windowStart) = (0, 0, 0, clock.now)
            }
            let epochEnd = state.step % stepsPerEpoch == 0 || last
            var evaluation: JSONObject?, improved = false
            if plan.due(arguments.evalStrategy, every: arguments.evalSteps ?? arguments.loggingSteps, step: state.step, epochEnd: epochEnd),
               task.hasValidation {
                let values = try task.evaluate()
                try hooks.metrics(kind: "eval", step: state.step, epoch: epoch, values: values)
                (evaluation, lastEvaluation) = (values, values)
                improved = track(values)
            }
            if plan.due(arguments.saveStrategy, every: arguments.saveSteps, step: state.step, epochEnd: epochEnd) || last || state.stoppedEarly {
                _ = try save(hooks, metrics: evaluation ?? [:], isBest: improved, keep: arguments.saveTotalLimit)
            }
        }
        var final = state.lastCheckpoint ?? ""
        if arguments.loadBestModelAtEnd, let best = state.bestCheckpoint {
            if best != state.lastCheckpoint {
                let part = task.weightsPart.rawValue
                guard let bytes = try hooks.loadCheckpoint(best)[part], task.trained.params.restore(bytes) else {
                    throw TrainingError("checkpoint \(best) has no matching \(part)")
                }
            }
            final = best
        }
        return TrainingOutcome(checkpoint: final, steps: state.step, trainedTokens: state.trainedTokens,
                               stoppedEarly: state.stoppedEarly, bestMetric: state.bestMetric, lastEvaluation: lastEvaluation)
    }

    /// Saves what is trained, AdamW's moments and the loop's state at the current step; `keep`
    /// prunes older checkpoints (a shutdown's checkpoint prunes none of the user's).
    mutating func save(_ hooks: some TrainingHooks, metrics: JSONObject, isBest: Bool, keep: Int?) throws -> String {
        let trained = task.trained
        let id = try hooks.saveCheckpoint(step: state.step, epoch: Double(state.step) / Double(plan.stepsPerEpoch), metrics: .object(metrics),
                                          state: state.json(seed: arguments.seed, optimizerStep: trained.optimizer.step, labels: task.labels, isBest: isBest),
                                          parts: [(task.weightsPart.rawValue, trained.params.bytes), (CheckpointPart.m.rawValue, trained.m.bytes),
                                                  (CheckpointPart.v.rawValue, trained.v.bytes)],
                                          isBest: isBest, keep: keep)
        if isBest { state.bestCheckpoint = id }
        state.lastCheckpoint = id
        savedStep = state.step
        return id
    }

    /// Updates the best metric and early stopping from an evaluation; returns whether it is the
    /// best so far. HF's EarlyStoppingCallback: an improvement counts only beyond the threshold.
    mutating func track(_ values: JSONObject) -> Bool {
        var (name, greaterIsBetter) = task.bestMetric
        if name.hasPrefix("eval_") { name.removeFirst(5) }
        guard let value = values[name]?.double else { return false }
        let previous = state.bestMetric
        let improved = previous.map { greaterIsBetter ? value > $0 : value < $0 } ?? true
        if improved { state.bestMetric = value }
        if let patience = arguments.earlyStoppingPatience {
            if let previous, !(improved && abs(value - previous) > arguments.earlyStoppingThreshold) {
                state.patience += 1
                if state.patience >= patience { state.stoppedEarly = true }
            } else {
                state.patience = 0
            }
        }
        return improved
    }

    /// Continues from checkpoint `id` of the same job: what is trained, AdamW's moments and
    /// step, and the loop's state.
    mutating func restore(_ json: JSONValue, parts: [String: [UInt8]], id: String) throws {
        let restored = try TrainerState(json: json, id: id)
        guard (json["labels"]?.array?.compactMap(\.string) ?? []) == task.labels else {
            throw TrainingError("checkpoint \(id) was trained on other labels")
        }
        let trained = task.trained
        for (part, arena) in [(task.weightsPart, trained.params), (.m, trained.m), (.v, trained.v)] as [(CheckpointPart, _)] {
            guard let bytes = parts[part.rawValue], arena.restore(bytes) else {
                throw TrainingError("checkpoint \(id): part \(part.rawValue) is missing or has the wrong size")
            }
        }
        trained.restoreOptimizerStep(json["optimizer_step"]?.int ?? restored.step)
        state = restored
        savedStep = restored.step
    }
}
