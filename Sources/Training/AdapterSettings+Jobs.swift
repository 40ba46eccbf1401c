import Engine
import JSON

extension LoRAConfig {
    /// The adapter a job asks for in `hyperparameters.lora` (`LoRAConfig(json:)`); errors name
    /// the parameter (`hyperparameters.lora.r`).
    public static func from(hyperparameters: JSONValue?, layout: LoRALayout? = nil) throws(HyperparameterError) -> LoRAConfig {
        let param = "hyperparameters.lora"
        do {
            return try LoRAConfig(json: hyperparameters?["lora"], layout: layout)
        } catch {
            guard let key = error.key else { throw HyperparameterError(message: "\(param) \(error.message)", param: param) }
            throw HyperparameterError(message: error.message, param: "\(param).\(key)")
        }
    }
}

extension Hyperparameters {
    /// `hyperparameters` with its `lora` settings checked against `layout` and written out
    /// resolved (the model's default target modules named), as a job stores them.
    public static func resolvingLoRA(_ hyperparameters: JSONObject, layout: LoRALayout) throws(HyperparameterError) -> JSONObject {
        var resolved = hyperparameters
        resolved["lora"] = try LoRAConfig.from(hyperparameters: .object(hyperparameters), layout: layout).resolved(layout).json
        return resolved
    }

    /// `hyperparameters` with its `prefix_tuning` settings checked against a model of `layout`
    /// and `positions` positions (`PrefixConfig.check`) and written out resolved.
    public static func resolvingPrefixTuning(_ hyperparameters: JSONObject, layout: PrefixLayout, positions: Int) throws(HyperparameterError) -> JSONObject {
        var resolved = hyperparameters
        let config = try PrefixConfig.from(hyperparameters: .object(hyperparameters))
        do { try config.check(layout, positions: positions) } catch {
            throw HyperparameterError(message: error.message, param: "hyperparameters.prefix_tuning" + (error.key.map { "." + $0 } ?? ""))
        }
        resolved["prefix_tuning"] = config.json
        return resolved
    }

    /// The adapter a job's hyperparameters ask for on a model of `layout`: LoRA (`lora`) or
    /// prefix tuning (`prefix_tuning`); nil without either (every weight is trained).
    public static func adapter(_ hyperparameters: JSONValue, layout: LoRALayout) throws(HyperparameterError) -> AdapterSettings? {
        if hyperparameters["prefix_tuning"] != nil {
            guard hyperparameters["lora"] == nil else {
                throw HyperparameterError(message: "Choose one adapter: lora or prefix_tuning, not both", param: "hyperparameters.prefix_tuning")
            }
            return .prefix(try PrefixConfig.from(hyperparameters: hyperparameters))
        }
        guard hyperparameters["lora"] != nil else { return nil }
        return .lora(try LoRAConfig.from(hyperparameters: hyperparameters, layout: layout))
    }
}

extension PrefixConfig {
    /// The prefix a job asks for in `hyperparameters.prefix_tuning` (`PrefixConfig(json:)`);
    /// errors name the parameter (`hyperparameters.prefix_tuning.num_virtual_tokens`).
    public static func from(hyperparameters: JSONValue?) throws(HyperparameterError) -> PrefixConfig {
        let param = "hyperparameters.prefix_tuning"
        do {
            return try PrefixConfig(json: hyperparameters?["prefix_tuning"])
        } catch {
            guard let key = error.key else { throw HyperparameterError(message: "\(param) \(error.message)", param: param) }
            throw HyperparameterError(message: error.message, param: "\(param).\(key)")
        }
    }
}
