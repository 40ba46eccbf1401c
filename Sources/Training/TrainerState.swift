import JSON

/// The trainer's small state, saved as JSON with each checkpoint. With the parameters and AdamW's
/// moments and step (which also seeds dropout) it is all a resumed run needs: the data position
/// follows from `step`.
struct TrainerState: Sendable, Equatable {
    var step = 0
    var trainedTokens = 0
    var windowLoss = 0.0
    var windowSteps = 0
    var bestMetric: Double?
    var bestCheckpoint: String?
    var lastCheckpoint: String?
    var patience = 0
    var stoppedEarly = false

    func json(seed: Int, optimizerStep: Int, labels: [String], isBest: Bool) -> JSONValue {
        var object: JSONObject = [
            "step": .int(Int64(step)), "trained_tokens": .int(Int64(trainedTokens)),
            "window_loss": .double(windowLoss), "window_steps": .int(Int64(windowSteps)),
            "patience": .int(Int64(patience)), "stopped_early": .bool(stoppedEarly),
            "seed": .int(Int64(seed)), "optimizer_step": .int(Int64(optimizerStep)),
            "labels": .array(labels.map(JSONValue.string)), "is_best": .bool(isBest),
        ]
        if let bestMetric { object["best_metric"] = .double(bestMetric) }
        if let bestCheckpoint { object["best_checkpoint"] = .string(bestCheckpoint) }
        return .object(object)
    }

    /// The state saved in checkpoint `id`.
    init(json: JSONValue, id: String) throws {
        guard let step = json["step"]?.int, let tokens = json["trained_tokens"]?.int else {
            throw TrainingError("checkpoint \(id) has no trainer state")
        }
        self.step = step
        trainedTokens = tokens
        windowLoss = json["window_loss"]?.double ?? 0
        windowSteps = json["window_steps"]?.int ?? 0
        patience = json["patience"]?.int ?? 0
        stoppedEarly = json["stopped_early"]?.bool ?? false
        bestMetric = json["best_metric"]?.double
        bestCheckpoint = json["is_best"]?.bool == true ? id : json["best_checkpoint"]?.string
        lastCheckpoint = id
    }

    init() {}
}
