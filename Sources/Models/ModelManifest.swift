import Engine
import JSON

/// What a fine-tuned model is, written once into its `model` row when its job succeeds: the
/// kind, the base it was trained from, the adapter (nil: every weight was trained), the labels of
/// a classifier, the tensors trained beside an adapter, and the checkpoint part holding the
/// weights. Everything that serves, exports or describes the model reads this, never the job.
public struct ModelManifest: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case classifier
        case causalLM = "causal_lm"
    }

    public var kind: Kind
    /// The base model's name in the catalog, and its architecture then.
    public var base: String
    public var architecture: String
    /// The adapter's settings (LoRA, prefix tuning), every value resolved; nil for a full fine-tune.
    public var adapter: AdapterSettings?
    /// A classifier's labels in id order; empty for a language model.
    public var labels: [String]
    /// Whole tensors trained beside the adapter (PEFT's `modules_to_save`), in arena order.
    public var head: [String]
    /// The checkpoint part holding the weights (`lora` or `params`).
    public var weightsPart: CheckpointPart

    public init(kind: Kind, base: String, architecture: String, adapter: AdapterSettings?, labels: [String] = [], head: [String] = []) {
        (self.kind, self.base, self.architecture, self.adapter, self.labels, self.head) = (kind, base, architecture, adapter, labels, head)
        weightsPart = CheckpointPart.weights(adapter: adapter != nil)
    }

    public var json: JSONValue {
        ["kind": .string(kind.rawValue), "base": .string(base), "architecture": .string(architecture),
         "adapter": adapter?.json ?? .null,
         "labels": .array(labels.map(JSONValue.string)), "head": .array(head.map(JSONValue.string)),
         "parts": ["weights": .string(weightsPart.rawValue)]]
    }

    /// The manifest `json` wrote (or migration 0008 built from an older row).
    public init(json: JSONValue) throws(ModelManifestError) {
        guard let kindName = json["kind"]?.string, let kind = Kind(rawValue: kindName) else { throw ModelManifestError("no known kind") }
        guard let base = json["base"]?.string, let architecture = json["architecture"]?.string else { throw ModelManifestError("no base model") }
        var adapter: AdapterSettings?
        if let settings = json["adapter"], settings != .null {
            do { adapter = try AdapterSettings(json: settings) } catch { throw ModelManifestError("adapter: \(error.message)") }
        }
        self.init(kind: kind, base: base, architecture: architecture, adapter: adapter,
                  labels: json["labels"]?.array?.compactMap(\.string) ?? [], head: json["head"]?.array?.compactMap(\.string) ?? [])
        if let part = json["parts"]?["weights"]?.string {
            guard let named = CheckpointPart(rawValue: part) else { throw ModelManifestError("unknown weights part \(part)") }
            weightsPart = named
        }
    }
}

/// A manifest that cannot be read.
public struct ModelManifestError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
