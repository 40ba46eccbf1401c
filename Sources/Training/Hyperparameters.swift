import JSON

/// The hyperparameters a job may set: OpenAI's names (which also take `"auto"`) and HF
/// TrainingArguments' names. Checked when a job is created; an unknown name or a value out of
/// range names the parameter.
public enum Hyperparameters {
    enum Kind {
        case integer(ClosedRange<Int>)
        case number(ClosedRange<Double>)
        case boolean
        case choice([String])
        case text
        case object
    }

    static let openAI: [String: Kind] = [
        "n_epochs": .integer(1...100),
        "batch_size": .integer(1...1024),
        "learning_rate_multiplier": .number(1e-6...100),
    ]

    static let huggingFace: [String: Kind] = [
        "num_train_epochs": .number(0.01...1000),
        "per_device_train_batch_size": .integer(1...1024),
        "per_device_eval_batch_size": .integer(1...1024),
        "learning_rate": .number(0...1),
        "weight_decay": .number(0...1),
        "warmup_ratio": .number(0...1),
        "warmup_steps": .integer(0...10_000_000),
        "lr_scheduler_type": .choice(["linear", "cosine", "constant", "constant_with_warmup"]),
        "gradient_accumulation_steps": .integer(1...10_000),
        "max_grad_norm": .number(0...1e6),
        "seed": .integer(0...Int(Int32.max)),
        "max_seq_length": .integer(8...131_072),
        "eval_strategy": .choice(["no", "steps", "epoch"]),
        "eval_steps": .integer(1...10_000_000),
        "eval_on_start": .boolean,
        "group_by_length": .boolean,
        "logging_steps": .integer(1...10_000_000),
        "save_strategy": .choice(["no", "steps", "epoch"]),
        "save_steps": .integer(1...10_000_000),
        "save_total_limit": .integer(1...1000),
        "load_best_model_at_end": .boolean,
        "metric_for_best_model": .text,
        "greater_is_better": .boolean,
        "early_stopping_patience": .integer(1...1000),
        "early_stopping_threshold": .number(0...1e6),
        "dropout": .number(0...0.99),
        "labels": .object,
        "validation_split": .number(0...0.9),
        "lora": .object,
        "prefix_tuning": .object,
    ]

    /// Preference tuning's settings (method `dpo` or `orpo`): OpenAI's `beta` (also `"auto"`) and
    /// TRL's names. `max_length` is `max_seq_length`; `loss_type` is DPO's.
    static let preference: [String: Kind] = [
        "beta": .number(1e-6...1000),
        "loss_type": .choice(PreferenceLoss.Kind.allCases.filter { $0 != .orpo }.map(\.rawValue)),
        "label_smoothing": .number(0...0.49),
        "max_length": .integer(8...131_072),
        "max_prompt_length": .integer(1...131_072),
        "truncation_mode": .choice(TruncationMode.allCases.map(\.rawValue)),
    ]

    /// Checks `value` (an object, or nil for none) and returns it with OpenAI's three names
    /// filled in as `"auto"` when absent (and `beta` for preference tuning). Throws (message,
    /// param) on the first problem. `method` is the job's method type.
    public static func validate(_ value: JSONValue?, param: String, method: String = "supervised") throws(HyperparameterError) -> JSONObject {
        let preferring = method == "dpo" || method == "orpo"
        guard let value, !value.isNull else { return withDefaults(JSONObject(), preference: preferring) }
        guard let object = value.object else {
            throw HyperparameterError(message: "\(param) must be an object, not \(value.typeName)", param: param)
        }
        for (name, item) in object {
            let path = "\(param).\(name)"
            if let kind = openAI[name] {
                if item.string == "auto" { continue }
                try check(item, kind, path)
            } else if let kind = huggingFace[name] {
                try check(item, kind, path)
            } else if preferring, let kind = preference[name] {
                if name == "beta" && item.string == "auto" { continue }
                try check(item, kind, path)
            } else if preference[name] != nil {
                throw HyperparameterError(message: "\(name) is a setting of preference tuning (method dpo or orpo), not of \(method)", param: path)
            } else {
                throw HyperparameterError(message: "Unknown hyperparameter \"\(name)\"", param: path)
            }
        }
        if object["labels"] != nil, object["labels"]?.array == nil {
            throw HyperparameterError(message: "\(param).labels must be an array of labels", param: "\(param).labels")
        }
        if method == "orpo", object["loss_type"] != nil {
            throw HyperparameterError(message: "loss_type is DPO's; ORPO has its own loss", param: "\(param).loss_type")
        }
        if let smoothing = object["label_smoothing"]?.double, smoothing > 0, object["loss_type"]?.string != "robust" {
            throw HyperparameterError(message: "label_smoothing takes effect with loss_type robust only (as in TRL 1.16)", param: "\(param).label_smoothing")
        }
        if object["max_length"] != nil && object["max_seq_length"] != nil {
            throw HyperparameterError(message: "max_length and max_seq_length are the same setting: give one", param: "\(param).max_length")
        }
        return withDefaults(object, preference: preferring)
    }

    static func withDefaults(_ object: JSONObject, preference: Bool = false) -> JSONObject {
        var resolved = object
        for name in ["batch_size", "learning_rate_multiplier", "n_epochs"] + (preference ? ["beta"] : []) where resolved[name] == nil {
            resolved[name] = "auto"
        }
        return resolved
    }

    /// A preference job's loss: `orpo`, or DPO's `loss_type` (sigmoid unless set), with `beta`
    /// (0.1 for "auto", TRL's and OpenAI's default) and `label_smoothing` for the robust loss.
    public static func preferenceLoss(_ hyperparameters: JSONValue, method: String) -> PreferenceLoss {
        let kind = method == "orpo" ? .orpo : hyperparameters["loss_type"]?.string.flatMap(PreferenceLoss.Kind.init(rawValue:)) ?? .sigmoid
        var loss = PreferenceLoss(kind, beta: hyperparameters["beta"]?.double ?? 0.1)
        loss.labelSmoothing = hyperparameters["label_smoothing"]?.double ?? 0
        return loss
    }

    static func check(_ item: JSONValue, _ kind: Kind, _ path: String) throws(HyperparameterError) {
        switch kind {
        case .integer(let range):
            guard let number = item.int, range.contains(number) else {
                throw HyperparameterError(message: "\(path) must be an integer from \(range.lowerBound) to \(range.upperBound)", param: path)
            }
        case .number(let range):
            guard let number = item.double, range.contains(number) else {
                throw HyperparameterError(message: "\(path) must be a number from \(range.lowerBound) to \(range.upperBound)", param: path)
            }
        case .boolean:
            guard item.bool != nil else { throw HyperparameterError(message: "\(path) must be true or false", param: path) }
        case .choice(let choices):
            guard let text = item.string, choices.contains(text) else {
                throw HyperparameterError(message: "\(path) must be one of \(choices.joined(separator: ", "))", param: path)
            }
        case .text:
            guard item.string != nil else { throw HyperparameterError(message: "\(path) must be a string", param: path) }
        case .object:
            guard item.object != nil || item.array != nil else {
                throw HyperparameterError(message: "\(path) must be an object", param: path)
            }
        }
    }
}

public struct HyperparameterError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var param: String
    public var description: String { message }
}
