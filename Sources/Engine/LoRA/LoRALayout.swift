/// The linear layers of a model's blocks that LoRA can adapt, as PEFT names them: `id` is the
/// path inside a block (`self_attn.q_proj`, `attn.c_attn`); a `target_modules` entry selects
/// every layer whose last name part equals it (`c_proj` is both of GPT-2's).
public struct LoRALayout: Sendable, Equatable {
    public struct Module: Sendable, Equatable {
        public let id: String
        public let input: Int, output: Int
        /// The name `target_modules` selects it by.
        public var name: Substring { id.split(separator: ".").last! }
    }

    public let layers: Int
    /// The blocks' path in the model, PEFT's key stem before the layer number (`model.layers`).
    public let blocks: String
    public let modules: [Module]
    /// GPT-2's Conv1D layers keep weights as (in, out): PEFT records it for the export.
    public let fanInFanOut: Bool
    /// What PEFT adapts when `target_modules` is not given (its per-model defaults).
    public let defaults: [String]
    /// PEFT's `task_type`: CAUSAL_LM, or SEQ_CLS for a classifier.
    public let taskType: String

    public init(layers: Int, blocks: String, modules: [(String, Int, Int)], defaults: [String], fanInFanOut: Bool = false,
                taskType: String = "CAUSAL_LM") {
        (self.layers, self.blocks, self.defaults, self.fanInFanOut, self.taskType) = (layers, blocks, defaults, fanInFanOut, taskType)
        self.modules = modules.map { Module(id: $0.0, input: $0.1, output: $0.2) }
    }

    /// The distinct names `target_modules` may hold, in block order.
    public var names: [String] {
        var seen: [String] = []
        for module in modules where !seen.contains(String(module.name)) { seen.append(String(module.name)) }
        return seen
    }

    /// The modules `targets` selects ("all-linear": all; none: `defaults`). A name this model lacks is an error
    /// naming the ones it has.
    public func selected(_ targets: [String]) throws(LoRAError) -> [Module] {
        if targets.isEmpty { return try selected(defaults) }
        if targets == ["all-linear"] { return modules }
        if let unknown = targets.first(where: { !names.contains($0) }) {
            throw LoRAError(description: "target module \(unknown) is not a linear layer of this model; it has \(names.joined(separator: ", ")) (or \"all-linear\")")
        }
        return modules.filter { targets.contains(String($0.name)) }
    }
}

/// An adapter that does not fit its model.
public struct LoRAError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
