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
    ]

    /// Checks `value` (an object, or nil for none) and returns it with OpenAI's three names
    /// filled in as `"auto"` when absent. Throws (message, param) on the first problem.
    public static func validate(_ value: JSONValue?, param: String) throws(HyperparameterError) -> JSONObject {
        guard let value, !value.isNull else { return withDefaults(JSONObject()) }
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
            } else {
                throw HyperparameterError(message: "Unknown hyperparameter \"\(name)\"", param: path)
            }
        }
        if object["labels"] != nil, object["labels"]?.array == nil {
            throw HyperparameterError(message: "\(param).labels must be an array of labels", param: "\(param).labels")
        }
        return withDefaults(object)
    }

    static func withDefaults(_ object: JSONObject) -> JSONObject {
        var resolved = object
        for name in ["batch_size", "learning_rate_multiplier", "n_epochs"] where resolved[name] == nil {
            resolved[name] = "auto"
        }
        return resolved
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
