import JSON

/// An adapter setting (LoRA, prefix tuning) that is not acceptable: the message, and the setting's key (nil: the whole object).
public struct AdapterSettingError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var key: String?
    public var description: String { message }
}

extension LoRAConfig {
    /// The adapter a settings object asks for (a job's `hyperparameters.lora`, a model manifest's
    /// `adapter`; PEFT's names): `r` (8), `lora_alpha` (2r), `target_modules` (a list of the
    /// model's linear layers, checked against `layout` when given, or "all-linear"; none: the
    /// model's default, as PEFT's), `use_rslora` (false), `lora_dropout` (0; on the adapters'
    /// input while training, as PEFT's). The one parser of LoRA settings.
    public init(json lora: JSONValue?, layout: LoRALayout? = nil) throws(AdapterSettingError) {
        func fail(_ message: String, _ key: String) -> AdapterSettingError { AdapterSettingError(message: message, key: key) }
        if let lora, lora != .null {
            guard let object = lora.object else { throw AdapterSettingError(message: "must be an object", key: nil) }
            let known: Set<String> = ["r", "lora_alpha", "target_modules", "use_rslora", "lora_dropout"]
            if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
                throw fail("Unknown LoRA setting \"\(unknown)\" (known: \(known.sorted().joined(separator: ", ")))", unknown)
            }
        }
        var config = LoRAConfig(r: 8, alpha: 16, targets: [])
        if let r = lora?["r"], r != .null {
            guard let value = r.int, (1...256).contains(value) else { throw fail("r must be an integer from 1 to 256", "r") }
            config.r = value
        }
        if let alpha = lora?["lora_alpha"], alpha != .null {
            guard let value = alpha.double, value > 0, value <= 1e6 else { throw fail("lora_alpha must be a positive number up to 1e6", "lora_alpha") }
            config.alpha = value
        } else {
            config.alpha = Double(2 * config.r)
        }
        if let targets = lora?["target_modules"], targets != .null {
            let names = targets.string.map { [$0] } ?? targets.array?.compactMap(\.string) ?? []
            guard !names.isEmpty, names.count == (targets.string == nil ? targets.array?.count : 1) else {
                throw fail("target_modules must be \"all-linear\" or a non-empty list of layer names", "target_modules")
            }
            if let layout {
                do { _ = try layout.selected(names) } catch { throw fail(error.description, "target_modules") }
            }
            config.targets = names
        }
        if let rs = lora?["use_rslora"], rs != .null {
            guard let value = rs.bool else { throw fail("use_rslora must be a boolean", "use_rslora") }
            config.useRSLoRA = value
        }
        if let dropout = lora?["lora_dropout"], dropout != .null {
            guard let value = dropout.double, (0...0.99).contains(value) else { throw fail("lora_dropout must be a number from 0 to 0.99", "lora_dropout") }
            config.dropout = value
        }
        self = config
    }

    /// The settings with the target modules written out: none given means `layout`'s defaults.
    public func resolved(_ layout: LoRALayout) -> LoRAConfig {
        var config = self
        if config.targets.isEmpty { config.targets = layout.defaults }
        return config
    }

    /// The settings with every value resolved, as `init(json:)` reads them back.
    public var json: JSONValue {
        ["r": .int(Int64(r)), "lora_alpha": .double(alpha), "target_modules": .array(targets.map { .string($0) }),
         "use_rslora": .bool(useRSLoRA), "lora_dropout": .double(dropout)]
    }
}
