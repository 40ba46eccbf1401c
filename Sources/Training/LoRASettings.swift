import Engine
import JSON

extension LoRAConfig {
    /// The adapter a job asks for in `hyperparameters.lora` (PEFT's names): `r` (8),
    /// `lora_alpha` (16), `target_modules` (q_proj and v_proj; a list of Llama's linear layers or
    /// "all-linear"), `use_rslora` (false), `lora_dropout` (only 0 is implemented: anything else is
    /// refused rather than ignored).
    public static func from(hyperparameters: JSONValue?) throws(HyperparameterError) -> LoRAConfig {
        let lora = hyperparameters?["lora"]
        let param = "hyperparameters.lora"
        func fail(_ message: String, _ key: String) -> HyperparameterError { HyperparameterError(message: message, param: "\(param).\(key)") }
        var config = LoRAConfig(r: 8, alpha: 16, targets: [.q, .v])
        if let r = lora?["r"], r != .null {
            guard let value = r.int, (1...256).contains(value) else { throw fail("r must be an integer from 1 to 256", "r") }
            config.r = value
        }
        if let alpha = lora?["lora_alpha"], alpha != .null {
            guard let value = alpha.double, value > 0 else { throw fail("lora_alpha must be a positive number", "lora_alpha") }
            config.alpha = value
        } else {
            config.alpha = Double(2 * config.r)
        }
        if let targets = lora?["target_modules"], targets != .null {
            if targets.string == "all-linear" {
                config.targets = LlamaModule.allCases
            } else {
                let names = targets.array?.compactMap(\.string) ?? []
                let modules = names.compactMap(LlamaModule.init(rawValue:))
                guard !names.isEmpty, modules.count == names.count, names.count == targets.array?.count else {
                    throw fail("target_modules must be \"all-linear\" or a list of \(LlamaModule.allCases.map(\.rawValue).joined(separator: ", "))", "target_modules")
                }
                config.targets = LlamaModule.allCases.filter(modules.contains)
            }
        }
        if let rs = lora?["use_rslora"], rs != .null {
            guard let value = rs.bool else { throw fail("use_rslora must be a boolean", "use_rslora") }
            config.useRSLoRA = value
        }
        if let dropout = lora?["lora_dropout"], dropout != .null, dropout.double != 0 {
            throw fail("lora_dropout other than 0 is not implemented yet", "lora_dropout")
        }
        return config
    }
}
