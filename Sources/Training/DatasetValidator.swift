import JSON

/// The record shapes a fine-tune file may hold; one file holds one shape.
public enum RecordShape: String, Sendable, CaseIterable {
    case textLabel = "text_label"                 // {"text","label"}
    case textPairLabel = "text_pair_label"        // {"text","text_pair","label"}
    case promptCompletion = "prompt_completion"   // {"prompt","completion"}
    case messages = "messages"                    // {"messages":[{"role","content"}...]}
    case text = "text"                            // {"text"}
    /// OpenAI's {"input":{"messages"},"preferred_output","non_preferred_output"} or TRL's
    /// {"prompt","chosen","rejected"} (strings or messages; the prompt may be left implicit).
    case preference = "preference"

    public var isLabelled: Bool { self == .textLabel || self == .textPairLabel }

    public var keys: String {
        switch self {
        case .textLabel: return "{\"text\",\"label\"}"
        case .textPairLabel: return "{\"text\",\"text_pair\",\"label\"}"
        case .promptCompletion: return "{\"prompt\",\"completion\"}"
        case .messages: return "{\"messages\":[...]}"
        case .text: return "{\"text\"}"
        case .preference: return "{\"input\",\"preferred_output\",\"non_preferred_output\"} or {\"prompt\",\"chosen\",\"rejected\"}"
        }
    }
}

/// A bad line of a dataset: its 1-based number and why.
public struct DatasetProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var reason: String
    public init(line: Int, reason: String) { self.line = line; self.reason = reason }
    public var description: String { line > 0 ? "line \(line): \(reason)" : reason }
}

/// What validating a JSONL dataset found.
public struct DatasetReport: Sendable {
    public var shape: RecordShape?
    public var exampleCount = 0
    /// Label counts for labelled shapes, keyed by the label as text (integers in decimal).
    public var labelCounts: [String: Int] = [:]
    /// The line each label first appears on.
    public var firstLines: [String: Int] = [:]
    /// The first problems found (at most the validator's limit); empty when the file is valid.
    public var problems: [DatasetProblem] = []

    public var isValid: Bool { problems.isEmpty }

    public init() {}

    /// The sorted label set: numerically when every label is an integer, else by UTF-8 bytes.
    public var labels: [String] {
        let keys = Array(labelCounts.keys)
        let numbers = keys.compactMap { Int($0) }
        if numbers.count == keys.count { return numbers.sorted().map(String.init) }
        return keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// "line 3: ...; line 9: ..." for error messages.
    public var problemSummary: String { problems.map(\.description).joined(separator: "; ") }
}

/// Checks every line of a fine-tune file: valid JSON, a supported record shape, the same shape on
/// every line, the fields of the right types.
public enum DatasetValidator {
    public static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool"]

    public static func validate(_ bytes: [UInt8], maxProblems: Int = 10) -> DatasetReport {
        var scanner = DatasetScanner(maxProblems: maxProblems)
        scanner.feed(bytes)
        return scanner.finish()
    }

    /// The shape of one record and its label as text, or the reason it is not acceptable.
    public static func check(_ record: JSONValue) throws(DatasetProblem) -> (RecordShape, String?) {
        guard let object = record.object else {
            throw DatasetProblem(line: 0, reason: "expected a JSON object, found \(record.typeName)")
        }
        if object["input"] != nil || object["preferred_output"] != nil || object["non_preferred_output"] != nil
            || object["chosen"] != nil || object["rejected"] != nil {
            try checkPreference(object)
            return (.preference, nil)
        }
        if let messages = object["messages"] {
            try checkMessages(messages, needsAssistant: true)
            return (.messages, nil)
        }
        if object["prompt"] != nil || object["completion"] != nil {
            try requireString(object, "prompt", allowEmpty: true)
            try requireString(object, "completion", allowEmpty: false)
            return (.promptCompletion, nil)
        }
        if object["text"] != nil {
            try requireString(object, "text", allowEmpty: false)
            if object["text_pair"] != nil { try requireString(object, "text_pair", allowEmpty: false) }
            guard let label = object["label"] else {
                if object["text_pair"] != nil { throw DatasetProblem(line: 0, reason: "\"text_pair\" needs a \"label\"") }
                return (.text, nil)
            }
            let text: String
            switch label {
            case .string(let s) where !s.isEmpty && !s.utf8.contains(0): text = s
            case .int(let i): text = String(i)
            default: throw DatasetProblem(line: 0, reason: "\"label\" must be a non-empty string or an integer, found \(label.typeName)")
            }
            return (object["text_pair"] != nil ? .textPairLabel : .textLabel, text)
        }
        let supported = RecordShape.allCases.map(\.keys).joined(separator: ", ")
        throw DatasetProblem(line: 0, reason: "record has none of the supported shapes: \(supported)")
    }

    static func requireString(_ object: JSONObject, _ key: String, allowEmpty: Bool) throws(DatasetProblem) {
        guard let value = object[key] else { throw DatasetProblem(line: 0, reason: "missing \"\(key)\"") }
        guard let text = value.string else {
            throw DatasetProblem(line: 0, reason: "\"\(key)\" must be a string, found \(value.typeName)")
        }
        if !allowEmpty && text.isEmpty { throw DatasetProblem(line: 0, reason: "\"\(key)\" is empty") }
        if text.utf8.contains(0) { throw DatasetProblem(line: 0, reason: "\"\(key)\" contains a NUL character") }
    }

    static func checkMessages(_ messages: JSONValue, name: String = "messages", needsAssistant: Bool) throws(DatasetProblem) {
        guard let list = messages.array, !list.isEmpty else {
            throw DatasetProblem(line: 0, reason: "\"\(name)\" must be a non-empty array")
        }
        var assistantTurns = 0
        for (index, message) in list.enumerated() {
            guard let role = message["role"]?.string else {
                throw DatasetProblem(line: 0, reason: "\(name)[\(index)] needs a string \"role\"")
            }
            guard roles.contains(role) else {
                throw DatasetProblem(line: 0, reason: "\(name)[\(index)].role \"\(role)\" is not one of \(roles.sorted().joined(separator: ", "))")
            }
            guard let content = message["content"], content.string != nil || content.array != nil else {
                throw DatasetProblem(line: 0, reason: "\(name)[\(index)] needs \"content\" as a string or an array of parts")
            }
            if let weight = message["weight"], weight.int != 0 && weight.int != 1 {
                throw DatasetProblem(line: 0, reason: "\(name)[\(index)].weight must be 0 or 1")
            }
            if role == "assistant" { assistantTurns += 1 }
        }
        if needsAssistant && assistantTurns == 0 { throw DatasetProblem(line: 0, reason: "\"\(name)\" has no assistant message to learn from") }
    }

    /// A preference pair: OpenAI's form (the answers are one assistant message each) or TRL's
    /// (prompt, chosen and rejected all strings or all messages; no prompt: a shared beginning).
    static func checkPreference(_ object: JSONObject) throws(DatasetProblem) {
        if object["input"] != nil || object["preferred_output"] != nil || object["non_preferred_output"] != nil {
            guard let input = object["input"]?.object, let messages = input["messages"] else {
                throw DatasetProblem(line: 0, reason: "\"input\" must be an object with \"messages\"")
            }
            try checkMessages(messages, name: "input.messages", needsAssistant: false)
            for key in ["preferred_output", "non_preferred_output"] {
                guard let answer = object[key] else { throw DatasetProblem(line: 0, reason: "missing \"\(key)\"") }
                try checkMessages(answer, name: key, needsAssistant: true)
                guard answer.array?.count == 1, answer.array?.first?["role"]?.string == "assistant" else {
                    throw DatasetProblem(line: 0, reason: "\"\(key)\" must hold one assistant message")
                }
            }
            return
        }
        guard let chosen = object["chosen"], let rejected = object["rejected"] else {
            throw DatasetProblem(line: 0, reason: "a preference record needs both \"chosen\" and \"rejected\"")
        }
        if chosen.string != nil {
            for key in ["prompt", "chosen", "rejected"] where key != "prompt" || object["prompt"] != nil {
                try requireString(object, key, allowEmpty: key == "prompt")
            }
            return
        }
        try checkMessages(chosen, name: "chosen", needsAssistant: true)
        try checkMessages(rejected, name: "rejected", needsAssistant: true)
        if let prompt = object["prompt"] { try checkMessages(prompt, name: "prompt", needsAssistant: false) }
    }
}
