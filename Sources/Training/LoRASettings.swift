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

    /// The LoRA adapter a job's hyperparameters ask for on a model of `layout`; nil without `lora`
    /// (every weight is trained).
    public static func lora(_ hyperparameters: JSONValue, layout: LoRALayout) throws(HyperparameterError) -> LoRAConfig? {
        guard hyperparameters["lora"] != nil else { return nil }
        return try LoRAConfig.from(hyperparameters: hyperparameters, layout: layout)
    }
}
