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
    /// Every rank stopped together (cancel, pause, shutdown), or the steps ended: no rank is
    /// left waiting in a collective.
    var agreedStop = false

    init(task: Task) {
        self.task = task
        plan = TrainingPlan(arguments: task.arguments, examples: task.trainingExamples, lengths: task.trainingLengths)
    }

    var arguments: TrainingArguments { task.arguments }

    mutating func run(_ hooks: some TrainingHooks) throws -> TrainingOutcome {
        guard let collective = hooks.collective else { return try steps(hooks) }
        guard collective.join(ready: true) else {
            throw collective.rank == 0 ? RankNotReady() : StoppedByRankZero()
        }
        do {
            return try steps(hooks)
        } catch let error where !(error is StoppedByRankZero) && collective.size > 1 {
            // A stop every rank agreed on ends with the same error on rank 0; anything else
            // leaves the other ranks waiting in a step.
            if !agreedStop { collective.leftMidRun() }
            throw error
        }
    }

    mutating func steps(_ hooks: some TrainingHooks) throws -> TrainingOutcome {
        if let collective = hooks.collective, collective.size > 1 { task.evaluationRanks = collective }
        let latest = try hooks.latestCheckpoint()
        if let collective = hooks.collective, collective.broadcast(latest?.id ?? "") != (latest?.id ?? "") {
            throw TrainingError("the ranks found different checkpoints to resume from")
        }
        if let latest { try restore(latest.state, parts: latest.parts, id: latest.id) }
        var lastEvaluation: JSONObject?
        let clock = ContinuousClock()
        var windowStart = clock.now, windowSamples = 0
        let totalSteps = plan.totalSteps, stepsPerEpoch = plan.stepsPerEpoch
        if arguments.evalOnStart && state.step == 0 && task.hasValidation {
            try hooks.metrics(kind: "eval", step: 0, epoch: 0, values: try task.evaluateBase())
        }
        let collective = hooks.collective
        var timing = StepTiming()
        while state.step < totalSteps && !state.stoppedEarly {
            try stopIfAsked(hooks)
            let started = clock.now
            var stats = try task.accumulate(step: state.step, microBatches: microBatches(step: state.step, collective))
            if let collective {
                let computed = clock.now
                let trained = task.trained
                collective.sum(trained.grads.pointer, count: trained.grads.count)
                let totals = collective.sum([Double(stats.loss), Double(stats.samples), Double(stats.tokens)])
                stats = StepStats(loss: Float(totals[0]), samples: Int(totals[1]), tokens: Int(totals[2]))
                timing.add(compute: computed - started, allreduce: clock.now - computed)
            }
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
                let seconds = max(1e-9, (clock.now - windowStart).seconds)
                var values: JSONObject = ["loss": .double(state.windowLoss / Double(state.windowSteps)), "learning_rate": .double(lr),
                                          "grad_norm": .double(norm)]
                if let collective, collective.size > 1 { sumWindowCounters(collective) }
                for (name, value) in task.windowMetrics(samples: windowSamples, seconds: seconds) { values[name] = value }
                for (name, value) in timing.metrics(ranks: collective?.size) { values[name] = value }
                timing = StepTiming()
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
                if let collective {
                    // Rank 0's verdict for every rank: their evaluations may differ in the last bit.
                    let verdict = collective.broadcast((improved ? 1 : 0) | (state.stoppedEarly ? 2 : 0))
                    (improved, state.stoppedEarly) = (verdict & 1 != 0, verdict & 2 != 0)
                }
            }
            if plan.due(arguments.saveStrategy, every: arguments.saveSteps, step: state.step, epochEnd: epochEnd) || last || state.stoppedEarly {
                _ = try save(hooks, metrics: evaluation ?? [:], isBest: improved, keep: arguments.saveTotalLimit)
            }
        }
        agreedStop = true  // no collective from here on
        var final = state.lastCheckpoint ?? ""
        if arguments.loadBestModelAtEnd, let best = state.bestCheckpoint {
            // Only rank 0 goes on to store the model.
            if best != state.lastCheckpoint && (hooks.collective?.rank ?? 0) == 0 {
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

    /// Throws when the hooks ask to stop (rank 0's hooks, for every rank), after saving a
    /// checkpoint when the stop wants the steps since the last one kept (a shutdown).
    mutating func stopIfAsked(_ hooks: some TrainingHooks) throws {
        var asked: (any Error)?, decision = 0  // 0: go on, 1: stop, 2: save, then stop
        do { try hooks.shouldStop() } catch {
            // A shutdown keeps what was trained since the last checkpoint, when there is time.
            let bytes = 3 * task.trained.params.count * MemoryLayout<Float>.size
            asked = error
            decision = state.step > savedStep && hooks.savesBeforeStopping(checkpointBytes: bytes) ? 2 : 1
        }
        if let collective = hooks.collective { decision = collective.broadcast(decision) }
        guard decision != 0 else { return }
        if decision == 2 { _ = try save(hooks, metrics: [:], isBest: false, keep: nil) }
        agreedStop = true  // after the save: a failed one leaves the other ranks waiting for its id
        throw asked ?? StoppedByRankZero()
    }

    /// The task's window counters summed over the ranks. Rank 0's say how many there are: it
    /// has the largest shard of every micro-batch, so it saw any metric a rank saw, and a rank
    /// whose shards were all empty counted nothing.
    func sumWindowCounters(_ collective: any Collective) {
        let count = collective.broadcast(task.windowCounters.count)
        guard count > 0 else { return }
        let mine = task.windowCounters
        task.windowCounters = collective.sum(mine.count == count ? mine : [Double](repeating: 0, count: count))
    }

    /// Step `step`'s micro-batches, as this rank's shards when the run is split over ranks.
    mutating func microBatches(step: Int, _ collective: (any Collective)?) -> [MicroBatch] {
        let whole = plan.microBatches(step: step)
        guard let collective, collective.size > 1 else { return whole.map { MicroBatch($0) } }
        return whole.map { indices in
            let mine = collective.shard(indices), total = task.lossUnits(indices)
            return MicroBatch(mine, share: total > 0 ? Float(task.lossUnits(mine)) / Float(total) : 0, stream: collective.rank)
        }
    }

    /// Saves what is trained, AdamW's moments and the loop's state at the current step; `keep`
    /// prunes older checkpoints (a shutdown's checkpoint prunes none of the user's).
    mutating func save(_ hooks: some TrainingHooks, metrics: JSONObject, isBest: Bool, keep: Int?) throws -> String {
        let trained = task.trained
        var id = try hooks.saveCheckpoint(step: state.step, epoch: Double(state.step) / Double(plan.stepsPerEpoch), metrics: .object(metrics),
                                          state: state.json(seed: arguments.seed, optimizerStep: trained.optimizer.step, labels: task.labels, isBest: isBest),
                                          parts: [(task.weightsPart.rawValue, trained.params.bytes), (CheckpointPart.m.rawValue, trained.m.bytes),
                                                  (CheckpointPart.v.rawValue, trained.v.bytes)],
                                          isBest: isBest, keep: keep)
        // Only rank 0 stores checkpoints: every rank keeps its id.
        if let collective = hooks.collective { id = collective.broadcast(id) }
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
