import JSON
import Models
import Platform
import Training

/// A `POST /v1/fine_tuning/jobs` body, checked: every problem is a `JobSpecError` naming its
/// `param` (the API answers it with a 400).
public struct JobSpec: Sendable {
    var model: ModelCatalog.BaseModel
    var trainingFile: String
    var validationFile: String?
    var suffix: String?
    var seed: Int
    var metadata: JSONValue?
    /// `{"type":"supervised"}`, `{"type":"dpo"}` or `{"type":"orpo"}`; the hyperparameters are stored beside it.
    var method: JSONValue
    var hyperparameters: JSONObject
    /// 1 (the default, first) to 4 (last): which waiting jobs workers claim first.
    var priority = 1
    var nodes = 1
    /// `"dry_run": true`: check everything and estimate the run, create nothing (`DryRun`).
    public var dryRun = false

    static let fields: Set<String> = ["model", "training_file", "validation_file", "suffix", "seed", "metadata", "method",
                                      "hyperparameters", "integrations", "adapter", "priority", "nodes", "dry_run"]

    public init(_ body: JSONObject, catalog: ModelCatalog) throws(JobSpecError) {
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
        if let value = body["priority"], !value.isNull {
            guard let priority = value.int, (1...4).contains(priority) else {
                throw .badRequest("priority must be an integer from 1 (first) to 4 (last)", param: "priority", code: "invalid_priority")
            }
            self.priority = priority
        }
        if let value = body["nodes"], !value.isNull {
            guard let nodes = value.int, (1...64).contains(nodes) else {
                throw .badRequest("nodes must be an integer from 1 to 64: the processes (MPI ranks) the job trains across",
                                  param: "nodes", code: "invalid_nodes")
            }
            self.nodes = nodes
        }
        if let integrations = body["integrations"], !integrations.isNull, integrations.array?.isEmpty != true {
            throw .badRequest("Integrations are not supported", param: "integrations", code: "unsupported_parameter")
        }
        (method, hyperparameters) = try JobSpec.method(body, model: model)
        if let value = body["dry_run"], !value.isNull {
            guard case .bool(let flag) = value else {
                throw .badRequest("dry_run must be true or false", param: "dry_run", code: "invalid_dry_run")
            }
            dryRun = flag
        }
    }

    static func isSuffixByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
    }

    static func string(_ body: JSONObject, _ key: String, required: Bool) throws(JobSpecError) -> String? {
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
    static func metadata(_ value: JSONValue?) throws(JobSpecError) -> JSONValue? {
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

    /// `method` (`{"type":"supervised","supervised":{"hyperparameters":{...}}}`, the same with
    /// `dpo` or `orpo` for preference tuning of a language model) or the deprecated
    /// top-level `hyperparameters`. A top-level `adapter` (`{"type":"lora", "r", ...}`, or
    /// `{"type":"prefix_tuning", "num_virtual_tokens", ...}`) is the same as
    /// `hyperparameters.lora` (or `hyperparameters.prefix_tuning`).
    static func method(_ body: JSONObject, model: ModelCatalog.BaseModel) throws(JobSpecError) -> (JSONValue, JSONObject) {
        var body = body
        let adapted = body["adapter"] != nil && body["adapter"]?.isNull == false
        if adapted { body = try merge(adapter: body["adapter"]!, into: body) }
        do { return try methodSettings(body, model: model) } catch {
            // Errors in the merged settings name the adapter's own fields.
            guard adapted, let param = error.param,
                  let range = param.firstRange(of: "hyperparameters.lora") ?? param.firstRange(of: "hyperparameters.prefix_tuning") else { throw error }
            var renamed = error
            renamed.param = "adapter" + param[range.upperBound...]
            throw renamed
        }
    }

    /// `body` with `adapter`'s settings moved into the hyperparameters' `lora` or `prefix_tuning`.
    static func merge(adapter: JSONValue, into body: JSONObject) throws(JobSpecError) -> JSONObject {
        var body = body
        guard var settings = adapter.object, let kind = settings["type"]?.string, kind == "lora" || kind == "prefix_tuning" else {
            throw .badRequest("adapter must be an object with type \"lora\" or \"prefix_tuning\"", param: "adapter.type", code: "invalid_adapter")
        }
        settings["type"] = nil
        body["adapter"] = nil
        let type = body["method"]?["type"]?.string ?? "supervised"
        var place = body["method"]?[type]?["hyperparameters"]?.object ?? body["hyperparameters"]?.object ?? [:]
        guard place["lora"] == nil && place["prefix_tuning"] == nil else {
            throw .badRequest("Give the adapter's settings in adapter or in hyperparameters.\(kind), not both", param: "adapter", code: "conflicting_parameters")
        }
        place[kind] = .object(settings)
        if var method = body["method"]?.object {
            var settings = method[type]?.object ?? [:]
            settings["hyperparameters"] = .object(place)
            method[type] = .object(settings)
            body["method"] = .object(method)
        } else {
            body["hyperparameters"] = .object(place)
        }
        return body
    }

    static func methodSettings(_ body: JSONObject, model: ModelCatalog.BaseModel) throws(JobSpecError) -> (JSONValue, JSONObject) {
        guard let method = body["method"], !method.isNull else {
            return (["type": "supervised"], try hyperparameters(body["hyperparameters"], param: "hyperparameters", model: model))
        }
        guard let type = method["type"]?.string else {
            throw .badRequest("method.type is required", param: "method.type", code: "missing_required_parameter")
        }
        guard ["supervised", "dpo", "orpo"].contains(type) else {
            throw .badRequest("method.type \(type) is not supported; use supervised, dpo or orpo", param: "method.type", code: "unsupported_method")
        }
        if type != "supervised" && model.architecture == "bert" {
            throw .badRequest("\(type) tunes language models; \(model.name) is a classifier (use supervised)", param: "method.type",
                              code: "unsupported_method")
        }
        if body["hyperparameters"] != nil {
            throw .badRequest("Give hyperparameters in method.\(type).hyperparameters, not both places",
                              param: "hyperparameters", code: "conflicting_parameters")
        }
        let settings = try hyperparameters(method[type]?["hyperparameters"], param: "method.\(type).hyperparameters", model: model, method: type)
        return (["type": .string(type)], settings)
    }

    static func hyperparameters(_ value: JSONValue?, param: String, model: ModelCatalog.BaseModel,
                                method: String = "supervised") throws(JobSpecError) -> JSONObject {
        var resolved: JSONObject
        do { resolved = try Hyperparameters.validate(value, param: param, method: method) } catch {
            throw .badRequest(error.message, param: error.param, code: "invalid_hyperparameter")
        }
        // Adapter settings are checked against the model now, so a bad adapter is a 400 rather
        // than a failed job, and stored resolved (LoRA's default target modules written out).
        // Without them, a language model is fine-tuned in full.
        if resolved["prefix_tuning"] != nil { return try prefixTuning(resolved, param: param, model: model) }
        guard resolved["lora"] != nil else { return resolved }
        guard model.takesAdapter else {
            throw .badRequest("LoRA is not implemented for \(model.architecture) models; they are fine-tuned in full (omit lora)",
                              param: param + ".lora", code: "unsupported_adapter")
        }
        let layout = try Result { () throws(ModelLoadError) in try model.loraLayout() }.mapError { error in
            JobSpecError.badRequest("\(model.name) cannot be fine-tuned: \(error)", param: "model", code: "unsupported_model")
        }.get()
        do {
            return try Hyperparameters.resolvingLoRA(resolved, layout: layout)
        } catch {
            throw .badRequest(error.message, param: error.param.replacing("hyperparameters", with: param), code: "invalid_hyperparameter")
        }
    }

    /// `hyperparameters` with its `prefix_tuning` settings checked and written out resolved.
    static func prefixTuning(_ hyperparameters: JSONObject, param: String, model: ModelCatalog.BaseModel) throws(JobSpecError) -> JSONObject {
        guard model.takesAdapter else {
            throw .badRequest("Prefix tuning is not implemented for \(model.architecture) models; they are fine-tuned in full (omit prefix_tuning)",
                              param: param + ".prefix_tuning", code: "unsupported_adapter")
        }
        guard hyperparameters["lora"] == nil else {
            throw .badRequest("Choose one adapter: lora or prefix_tuning, not both", param: param + ".prefix_tuning", code: "conflicting_parameters")
        }
        let fit = try Result { () throws(ModelLoadError) in try model.prefixFit() }.mapError { error in
            JobSpecError.badRequest("\(model.name) cannot be fine-tuned: \(error)", param: "model", code: "unsupported_model")
        }.get()
        do {
            return try Hyperparameters.resolvingPrefixTuning(hyperparameters, layout: fit.layout, positions: fit.positions)
        } catch {
            throw .badRequest(error.message, param: error.param.replacing("hyperparameters", with: param), code: "invalid_hyperparameter")
        }
    }

    /// What a job's trainer will use, for the job object: the stored hyperparameters over HF's
    /// defaults, OpenAI's "auto" resolved, and the LoRA settings as stored.
    public static func resolved(hyperparameters stored: JSONValue, seed: Int) -> JSONValue {
        guard case .object(var object) = TrainingArguments(stored.object ?? [:], seed: seed).json else { return .null }
        for name in ["lora", "prefix_tuning"] where stored[name] != nil { object[name] = stored[name] }
        // Preference tuning's own settings; beta "auto" is TRL's and OpenAI's 0.1.
        for name in ["beta", "loss_type", "label_smoothing", "max_prompt_length", "truncation_mode"] {
            guard let value = stored[name] else { continue }
            object[name] = name == "beta" && value.string == "auto" ? .double(0.1) : value
        }
        return .object(object)
    }

    /// The job to create for `tenant`.
    public func job(tenant: String) -> NewJob {
        NewJob(tenant: tenant, model: model.name, architecture: model.architecture, trainingFile: trainingFile, validationFile: validationFile,
               suffix: suffix, seed: seed, metadata: metadata, method: method, hyperparameters: hyperparameters, priority: priority, nodes: nodes)
    }
}

/// A problem with a job request: the message, the parameter it names and a code.
public struct JobSpecError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var param: String?
    public var code: String
    public var description: String { message }

    static func badRequest(_ message: String, param: String?, code: String) -> JobSpecError {
        JobSpecError(message: message, param: param, code: code)
    }
}
