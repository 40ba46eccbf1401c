import Engine
import HTTP
import JSON
import Platform
import Training

/// A `POST /v1/fine_tuning/jobs` body, checked: every problem is a 400 naming its `param`.
struct JobSpec {
    var model: ModelCatalog.BaseModel
    var trainingFile: String
    var validationFile: String?
    var suffix: String?
    var seed: Int
    var metadata: JSONValue?
    /// `{"type":"supervised"}`; the hyperparameters are stored beside it.
    var method: JSONValue
    var hyperparameters: JSONObject

    static let fields: Set<String> = ["model", "training_file", "validation_file", "suffix", "seed", "metadata", "method",
                                      "hyperparameters", "integrations"]

    init(_ body: JSONObject, catalog: ModelCatalog) throws(HTTPError) {
        if let unknown = body.keys.first(where: { !JobSpec.fields.contains($0) }) {
            throw .badRequest("Unrecognized request argument: \(unknown)", param: unknown, code: "unknown_parameter")
        }
        let name = try JobSpec.string(body, "model", required: true)!
        guard let model = catalog.model(named: name) else {
            let known = catalog.models.map(\.name).joined(separator: ", ")
            throw .badRequest("Model \(name) does not exist or cannot be fine-tuned; base models: \(known)",
                              param: "model", code: "model_not_available")
        }
        self.model = model
        trainingFile = try JobSpec.string(body, "training_file", required: true)!
        validationFile = try JobSpec.string(body, "validation_file", required: false)
        suffix = try JobSpec.string(body, "suffix", required: false)
        if let suffix, suffix.utf8.count > 64 || !suffix.utf8.allSatisfy(JobSpec.isSuffixByte) {
            throw .badRequest("suffix must be at most 64 characters of letters, digits, - and _", param: "suffix", code: "invalid_suffix")
        }
        if let value = body["seed"], !value.isNull {
            guard let seed = value.int, seed >= 0, seed <= Int(Int32.max) else {
                throw .badRequest("seed must be an integer from 0 to 2147483647", param: "seed", code: "invalid_seed")
            }
            self.seed = seed
        } else {
            seed = Int(Crypto.randomBytes(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7FFF_FFFF)
        }
        metadata = try JobSpec.metadata(body["metadata"])
        if let integrations = body["integrations"], !integrations.isNull, integrations.array?.isEmpty != true {
            throw .badRequest("Integrations are not supported", param: "integrations", code: "unsupported_parameter")
        }
        (method, hyperparameters) = try JobSpec.method(body)
    }

    static func isSuffixByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
    }

    static func string(_ body: JSONObject, _ key: String, required: Bool) throws(HTTPError) -> String? {
        guard let value = body[key], !value.isNull else {
            if required { throw .badRequest("Missing required parameter: \(key)", param: key, code: "missing_required_parameter") }
            return nil
        }
        guard let text = value.string, !text.isEmpty else {
            throw .badRequest("\(key) must be a non-empty string", param: key, code: "invalid_type")
        }
        return text
    }

    /// At most 16 string pairs, keys up to 64 and values up to 512 characters (OpenAI's limits).
    static func metadata(_ value: JSONValue?) throws(HTTPError) -> JSONValue? {
        guard let value, !value.isNull else { return nil }
        guard let object = value.object, object.count <= 16 else {
            throw .badRequest("metadata must be an object of at most 16 string values", param: "metadata", code: "invalid_metadata")
        }
        for (key, item) in object {
            guard key.count <= 64, let text = item.string, text.count <= 512 else {
                throw .badRequest("metadata keys are at most 64 characters and values strings of at most 512",
                                  param: "metadata.\(key)", code: "invalid_metadata")
            }
        }
        return value
    }

    /// `method` (`{"type":"supervised","supervised":{"hyperparameters":{...}}}`) or the deprecated
    /// top-level `hyperparameters`.
    static func method(_ body: JSONObject) throws(HTTPError) -> (JSONValue, JSONObject) {
        guard let method = body["method"], !method.isNull else {
            return (["type": "supervised"], try hyperparameters(body["hyperparameters"], param: "hyperparameters"))
        }
        guard let type = method["type"]?.string else {
            throw .badRequest("method.type is required", param: "method.type", code: "missing_required_parameter")
        }
        guard type == "supervised" else {
            throw .badRequest("method.type \(type) is not supported; use supervised", param: "method.type", code: "unsupported_method")
        }
        if body["hyperparameters"] != nil {
            throw .badRequest("Give hyperparameters in method.supervised.hyperparameters, not both places",
                              param: "hyperparameters", code: "conflicting_parameters")
        }
        let settings = try hyperparameters(method["supervised"]?["hyperparameters"], param: "method.supervised.hyperparameters")
        return (["type": "supervised"], settings)
    }

    static func hyperparameters(_ value: JSONValue?, param: String) throws(HTTPError) -> JSONObject {
        let resolved: JSONObject
        do { resolved = try Hyperparameters.validate(value, param: param) } catch {
            throw .badRequest(error.message, param: error.param, code: "invalid_hyperparameter")
        }
        // LoRA settings are checked now, so a bad adapter is a 400 rather than a failed job.
        if resolved["lora"] != nil {
            do { _ = try LoRAConfig.from(hyperparameters: .object(resolved)) } catch {
                throw .badRequest(error.message, param: error.param.replacing("hyperparameters", with: param), code: "invalid_hyperparameter")
            }
        }
        return resolved
    }
}
