import JSON

extension PrefixConfig {
    /// The prefix a settings object asks for (a job's `hyperparameters.prefix_tuning`, a model
    /// manifest's `adapter`; PEFT's names): `num_virtual_tokens` (20), `prefix_projection`
    /// (false), `encoder_hidden_size` (with the projection only; the key/value width when not
    /// given). The one parser of prefix-tuning settings.
    public init(json settings: JSONValue?) throws(AdapterSettingError) {
        func fail(_ message: String, _ key: String) -> AdapterSettingError { AdapterSettingError(message: message, key: key) }
        var config = PrefixConfig(virtualTokens: 20)
        guard let settings, settings != .null else { self = config; return }
        guard let object = settings.object else { throw AdapterSettingError(message: "must be an object", key: nil) }
        let known: Set<String> = ["num_virtual_tokens", "prefix_projection", "encoder_hidden_size"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("Unknown prefix-tuning setting \"\(unknown)\" (known: \(known.sorted().joined(separator: ", ")))", unknown)
        }
        if let count = object["num_virtual_tokens"], count != .null {
            guard let value = count.int, (1...256).contains(value) else { throw fail("num_virtual_tokens must be an integer from 1 to 256", "num_virtual_tokens") }
            config.virtualTokens = value
        }
        if let projection = object["prefix_projection"], projection != .null {
            guard let value = projection.bool else { throw fail("prefix_projection must be a boolean", "prefix_projection") }
            config.projection = value
        }
        if let hidden = object["encoder_hidden_size"], hidden != .null {
            guard let value = hidden.int, (1...65_536).contains(value) else {
                throw fail("encoder_hidden_size must be an integer from 1 to 65536", "encoder_hidden_size")
            }
            guard config.projection else { throw fail("encoder_hidden_size sizes the projection: set prefix_projection to true", "encoder_hidden_size") }
            config.encoderHiddenSize = value
        }
        self = config
    }

    /// The most floats the projection's second layer (L·2·D × H) may hold: 32 Mi, 128 MB, and
    /// three times that in training with Adam's moments.
    public static let largestProjection = 1 << 25

    /// Checks these settings against a model of `layout` with `positions` positions: the prefix
    /// must leave positions for the tokens, and the projection fit `largestProjection`.
    public func check(_ layout: PrefixLayout, positions: Int) throws(AdapterSettingError) {
        guard virtualTokens < positions else {
            throw AdapterSettingError(message: "num_virtual_tokens \(virtualTokens) leaves no position for the tokens: the model has \(positions) positions",
                                      key: "num_virtual_tokens")
        }
        let hidden = encoderHiddenSize ?? layout.width
        guard !projection || layout.rowWidth * hidden <= Self.largestProjection else {
            throw AdapterSettingError(message: "encoder_hidden_size \(hidden) makes a projection of \(layout.rowWidth) × \(hidden) floats on this model; at most \(Self.largestProjection / layout.rowWidth) fits the limit of \(Self.largestProjection)",
                                      key: "encoder_hidden_size")
        }
    }

    /// The settings as `init(json:)` reads them back.
    public var json: JSONValue {
        ["num_virtual_tokens": .int(Int64(virtualTokens)), "prefix_projection": .bool(projection),
         "encoder_hidden_size": encoderHiddenSize.map { .int(Int64($0)) } ?? .null]
    }
}

/// What a parameter-efficient fine-tune trains over its frozen base, as settings: LoRA or
/// prefix tuning. (No settings at all: every weight trains.)
public enum AdapterSettings: Sendable, Equatable {
    case lora(LoRAConfig)
    case prefix(PrefixConfig)

    public var lora: LoRAConfig? { if case .lora(let config) = self { config } else { nil } }
    public var prefix: PrefixConfig? { if case .prefix(let config) = self { config } else { nil } }

    /// PEFT's name for the method, the `type` of a manifest's or a job's `adapter` object.
    public var type: String { lora != nil ? "lora" : "prefix_tuning" }

    /// The settings with their `type`: `{"type": "lora", "r": ...}`, `{"type": "prefix_tuning", ...}`.
    public var json: JSONValue {
        guard case .object(var object) = lora?.json ?? prefix!.json else { return .null }
        object["type"] = .string(type)
        return .object(object)
    }

    /// The settings `json` wrote.
    public init(json: JSONValue) throws(AdapterSettingError) {
        guard case .object(var object) = json, let type = object.removeValue(forKey: "type")?.string else {
            throw AdapterSettingError(message: "must be an object with a type (lora or prefix_tuning)", key: "type")
        }
        switch type {
        case "lora": self = .lora(try LoRAConfig(json: .object(object)))
        case "prefix_tuning": self = .prefix(try PrefixConfig(json: .object(object)))
        default: throw AdapterSettingError(message: "type must be lora or prefix_tuning, not \(type)", key: "type")
        }
    }
}
