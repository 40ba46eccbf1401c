import Engine
import JSON
import Tensor

extension ClassificationTrainer {
    func stateJSON(isBest: Bool) -> JSONValue {
        state.json(seed: arguments.seed, optimizerStep: lora?.trained.optimizer.step ?? model.optimizer.step, labels: dataset.labels, isBest: isBest)
    }

    /// The checkpoint's tensors, raw float32: the parameters and AdamW's moments, or with LoRA
    /// the adapters with the head (`lora`) and their moments.
    func parts() -> [(name: String, bytes: [UInt8])] {
        if let lora { return [("lora", lora.params.bytes), ("m", lora.trained.m.bytes), ("v", lora.trained.v.bytes)] }
        return Bert.StatePart.allCases.map { ($0.rawValue, model.stateBytes($0)) }
    }

    /// Continues from a checkpoint of the same job.
    func restore(state json: JSONValue, parts: [String: [UInt8]], id: String) throws {
        let restored = try TrainerState(json: json, id: id)
        guard json["labels"]?.array?.compactMap(\.string) == dataset.labels else {
            throw TrainingError("checkpoint \(id) was trained on other labels")
        }
        let step = json["optimizer_step"]?.int ?? restored.step
        if let lora {
            for (name, arena) in [("lora", lora.params), ("m", lora.trained.m), ("v", lora.trained.v)] {
                guard let bytes = parts[name], arena.restore(bytes) else { throw TrainingError("checkpoint \(id): part \(name) is missing or has the wrong size") }
            }
            lora.trained.restoreOptimizerStep(step)
            syncHead()
        } else {
            for part in Bert.StatePart.allCases {
                guard let bytes = parts[part.rawValue], model.restore(part, bytes: bytes) else {
                    throw TrainingError("checkpoint \(id): part \(part.rawValue) is missing or has the wrong size")
                }
            }
            model.restoreOptimizerStep(step)
        }
        state = restored
    }

    /// Whether a greater or a smaller metric is better (`metric_for_best_model`).
    func better(_ value: Double, than other: Double) -> Bool {
        arguments.greaterIsBetterResolved ? value > other : value < other
    }

    /// Updates the best metric and early stopping from an evaluation; returns whether it is the
    /// best so far. HF's EarlyStoppingCallback: an improvement counts only beyond the threshold.
    func track(_ values: JSONObject) -> Bool {
        var name = arguments.metricForBestModel
        if name.hasPrefix("eval_") { name.removeFirst(5) }
        guard let value = values[name]?.double else { return false }
        let previous = state.bestMetric
        let improved = previous.map { better(value, than: $0) } ?? true
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

    /// Loss and classification metrics on the validation set, in eval mode (no dropout).
    public func evaluate() throws -> JSONObject {
        model.training = false
        defer { model.training = true }
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
