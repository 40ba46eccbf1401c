import Engine
import JSON

/// Hyperparameters with HF TrainingArguments' names, resolved from a job's validated
/// hyperparameters (OpenAI's `n_epochs`, `batch_size` and `learning_rate_multiplier` map onto
/// them; `"auto"` means the default). The defaults are HF's but for `eval_strategy` and
/// `save_strategy` (`epoch`; HF: `no` and `steps`), `logging_steps` (10; HF: 500) and
/// `max_seq_length` (128; not an HF argument), so that a job with no settings reports progress
/// and keeps its result; the README says so too.
public struct TrainingArguments: Sendable, Equatable {
    public var numTrainEpochs = 3.0
    public var perDeviceTrainBatchSize = 8
    public var perDeviceEvalBatchSize = 8
    public var learningRate = 5e-5
    public var weightDecay = 0.0
    public var warmupRatio = 0.0
    public var warmupSteps = 0
    public var lrSchedulerType = "linear"
    public var gradientAccumulationSteps = 1
    public var maxGradNorm = 1.0
    public var seed = 42
    public var maxSeqLength = 128
    public var evalStrategy = "epoch"
    public var evalSteps: Int?
    /// HF's `eval_on_start`: an evaluation at step 0, before training. With an adapter it is
    /// the base alone (adapter off), the number the fine-tune has to beat.
    public var evalOnStart = false
    /// HF's `group_by_length`: batches of examples of similar length (`DataOrder.grouped`),
    /// less padding to compute; off by default, as in HF.
    public var groupByLength = false
    public var loggingSteps = 10
    public var saveStrategy = "epoch"
    public var saveSteps = 500
    public var saveTotalLimit: Int?
    public var loadBestModelAtEnd = false
    public var metricForBestModel = "loss"
    public var greaterIsBetter: Bool?
    public var earlyStoppingPatience: Int?
    public var earlyStoppingThreshold = 0.0
    public var dropout: Double?
    /// The fraction of the training file held out for evaluation when there is no validation file.
    public var validationSplit = 0.0
    /// The label set in id order, when the job fixes it (`hyperparameters.labels`).
    public var labels: [String]?

    public init() {}

    /// Resolves `hyperparameters` (already checked by `Hyperparameters.validate`) over the defaults;
    /// `seed` is the job's seed, used unless the hyperparameters set one.
    public init(_ hyperparameters: JSONObject, seed jobSeed: Int) {
        let h = hyperparameters
        func number(_ name: String) -> Double? { h[name]?.double }
        func integer(_ name: String) -> Int? { h[name]?.int }
        func text(_ name: String) -> String? { h[name]?.string }
        seed = integer("seed") ?? jobSeed
        if let epochs = integer("n_epochs") { numTrainEpochs = Double(epochs) }
        if let epochs = number("num_train_epochs") { numTrainEpochs = epochs }
        perDeviceTrainBatchSize = integer("per_device_train_batch_size") ?? integer("batch_size") ?? perDeviceTrainBatchSize
        perDeviceEvalBatchSize = integer("per_device_eval_batch_size") ?? perDeviceEvalBatchSize
        learningRate = number("learning_rate") ?? learningRate * (number("learning_rate_multiplier") ?? 1)
        weightDecay = number("weight_decay") ?? weightDecay
        warmupRatio = number("warmup_ratio") ?? warmupRatio
        warmupSteps = integer("warmup_steps") ?? warmupSteps
        lrSchedulerType = text("lr_scheduler_type") ?? lrSchedulerType
        gradientAccumulationSteps = integer("gradient_accumulation_steps") ?? gradientAccumulationSteps
        maxGradNorm = number("max_grad_norm") ?? maxGradNorm
        maxSeqLength = integer("max_seq_length") ?? integer("max_length") ?? maxSeqLength
        evalStrategy = text("eval_strategy") ?? evalStrategy
        evalSteps = integer("eval_steps")
        evalOnStart = h["eval_on_start"]?.bool ?? evalOnStart
        groupByLength = h["group_by_length"]?.bool ?? groupByLength
        loggingSteps = integer("logging_steps") ?? loggingSteps
        saveStrategy = text("save_strategy") ?? saveStrategy
        saveSteps = integer("save_steps") ?? saveSteps
        saveTotalLimit = integer("save_total_limit")
        loadBestModelAtEnd = h["load_best_model_at_end"]?.bool ?? loadBestModelAtEnd
        metricForBestModel = text("metric_for_best_model") ?? metricForBestModel
        greaterIsBetter = h["greater_is_better"]?.bool
        earlyStoppingPatience = integer("early_stopping_patience")
        earlyStoppingThreshold = number("early_stopping_threshold") ?? earlyStoppingThreshold
        dropout = number("dropout")
        validationSplit = number("validation_split") ?? validationSplit
        labels = h["labels"]?.array?.compactMap { $0.string ?? $0.int.map(String.init) }
    }

    /// HF: greater is better unless the metric is a loss.
    public var greaterIsBetterResolved: Bool { greaterIsBetter ?? !metricForBestModel.hasSuffix("loss") }

    /// Optimizer steps for `examples` training examples.
    public func totalSteps(examples: Int) -> Int {
        let batches = (examples + perDeviceTrainBatchSize - 1) / perDeviceTrainBatchSize
        let perEpoch = max(1, batches / gradientAccumulationSteps)
        return max(1, Int((Double(perEpoch) * numTrainEpochs).rounded(.up)))
    }

    /// Warm-up steps: `warmup_steps` when set, else `warmup_ratio` of the total (rounded up, as HF).
    public func warmup(totalSteps: Int) -> Int {
        warmupSteps > 0 ? warmupSteps : Int((Double(totalSteps) * warmupRatio).rounded(.up))
    }

    /// The resolved values, echoed in the job object.
    public var json: JSONValue {
        let epochs: JSONValue = numTrainEpochs == numTrainEpochs.rounded() ? .int(Int64(numTrainEpochs)) : .double(numTrainEpochs)
        var object: JSONObject = [
            "n_epochs": epochs, "batch_size": .int(Int64(perDeviceTrainBatchSize)),
            "learning_rate_multiplier": .double(learningRate / 5e-5),
            "num_train_epochs": epochs, "per_device_train_batch_size": .int(Int64(perDeviceTrainBatchSize)),
            "per_device_eval_batch_size": .int(Int64(perDeviceEvalBatchSize)), "learning_rate": .double(learningRate),
            "weight_decay": .double(weightDecay), "warmup_ratio": .double(warmupRatio), "warmup_steps": .int(Int64(warmupSteps)),
            "lr_scheduler_type": .string(lrSchedulerType), "gradient_accumulation_steps": .int(Int64(gradientAccumulationSteps)),
            "max_grad_norm": .double(maxGradNorm), "seed": .int(Int64(seed)), "max_seq_length": .int(Int64(maxSeqLength)),
            "eval_strategy": .string(evalStrategy), "eval_on_start": .bool(evalOnStart), "group_by_length": .bool(groupByLength), "logging_steps": .int(Int64(loggingSteps)),
            "save_strategy": .string(saveStrategy), "save_steps": .int(Int64(saveSteps)),
            "load_best_model_at_end": .bool(loadBestModelAtEnd), "metric_for_best_model": .string(metricForBestModel),
            "greater_is_better": .bool(greaterIsBetterResolved), "early_stopping_threshold": .double(earlyStoppingThreshold),
        ]
        if let evalSteps { object["eval_steps"] = .int(Int64(evalSteps)) }
        if let saveTotalLimit { object["save_total_limit"] = .int(Int64(saveTotalLimit)) }
        if let earlyStoppingPatience { object["early_stopping_patience"] = .int(Int64(earlyStoppingPatience)) }
        if let dropout { object["dropout"] = .double(dropout) }
        if validationSplit > 0 { object["validation_split"] = .double(validationSplit) }
        if let labels { object["labels"] = .array(labels.map(JSONValue.string)) }
        return .object(object)
    }
}

extension TrainingArguments {
    /// These arguments with `max_seq_length` cut to what a model of `positions` positions leaves
    /// after `adapter`'s prefix (prefix tuning), and a note for the job's events when it was cut.
    public func fitting(positions: Int, adapter: AdapterSettings?) -> (arguments: TrainingArguments, note: String?) {
        let virtualTokens = adapter?.prefix?.virtualTokens ?? 0, room = positions - virtualTokens
        guard maxSeqLength > room else { return (self, nil) }
        var fitted = self
        fitted.maxSeqLength = room
        let after = virtualTokens > 0 ? " after the prefix's \(virtualTokens) virtual tokens" : ""
        return (fitted, "max_seq_length \(maxSeqLength) is longer than the model's \(positions) positions\(after): examples are cut at \(room)")
    }
}
