import Engine
import HTTP
import Inference
import Jobs
import JSON
import Models
import Platform
import Store
import Training

extension ModelRoutes {
    /// `GET /v1/models/{id}/download`: a tar of a Hugging Face folder for a fine-tuned classifier
    /// (`config.json` with `id2label`/`label2id`, `model.safetensors`, the base model's tokenizer
    /// files) that `AutoModelForSequenceClassification.from_pretrained` loads; a LoRA classifier
    /// as a PEFT folder unless `?merged=true`. A language model:
    /// a PEFT folder for a LoRA fine-tune, or with `?merged=true` (and always for a full
    /// fine-tune) a Hugging Face folder of the whole model.
    func download(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let id = context.parameter("id"), merged = request.queryValue("merged")
        guard merged == nil || merged == "true" || merged == "false" else {
            throw HTTPError.badRequest("merged must be true or false", param: "merged")
        }
        let model = try FineTunedModel.find(id, tenant: context.tenant, pool: pool, catalog: catalog)
        if model.isLanguageModel {
            return model.adapter != nil && merged != "true" ? try causalPEFTFolder(model) : try wholeFolder(model)
        }
        let (labels, base) = (model.manifest.labels, model.base)
        if model.adapter != nil, merged != "true" { return try classifierPEFTFolder(model) }
        let config = try Self.classifierConfig(base, labels: labels)
        let weights = BertCheckpoint.serialized(try model.classifier(pool, maxB: 1))
        let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"]
            .compactMap { name in Files.read(base.path + "/" + name).map { (name, name == "tokenizer.json" ? Self.unpadded($0) : $0) } }
        return Self.tar(id, [("config.json", JSONValue.object(config).encodedBytes()), ("model.safetensors", weights)] + tokenizerFiles)
    }

    /// The base's config.json as the fine-tune's: BertForSequenceClassification with its labels.
    static func classifierConfig(_ base: ModelCatalog.BaseModel, labels: [String]) throws -> JSONObject {
        guard var config = Files.read(base.path + "/config.json").flatMap({ try? JSONValue(parsing: $0) })?.object else {
            throw HTTPError(.internalServerError, "The config.json of \(base.name) cannot be read", param: "model", code: "model_unavailable")
        }
        var id2label = JSONObject(), label2id = JSONObject()
        for (i, label) in labels.enumerated() {
            id2label[String(i)] = .string(label)
            label2id[label] = .int(Int64(i))
        }
        config["id2label"] = .object(id2label)
        config["label2id"] = .object(label2id)
        config["architectures"] = ["BertForSequenceClassification"]
        return config
    }

    /// A tokenizer.json without the base model's truncation and padding (sentence-transformers
    /// folders cut at 128 and pad to 128), so the `tokenizers` library sees what `/predict` does:
    /// no padding, truncation at the model's limit left to the caller.
    static func unpadded(_ bytes: [UInt8]) -> [UInt8] {
        guard var object = (try? JSONValue(parsing: bytes))?.object else { return bytes }
        object["truncation"] = .null
        object["padding"] = .null
        return JSONValue.object(object).encodedBytes()
    }

    /// A LoRA classifier as a PEFT folder (task SEQ_CLS, the head as `modules_to_save`) for
    /// `PeftModel.from_pretrained` over the base loaded with the fine-tune's labels, which its
    /// `config.json` holds (`AutoModelForSequenceClassification.from_pretrained(base,
    /// config=AutoConfig.from_pretrained(folder))`).
    func classifierPEFTFolder(_ model: FineTunedModel) throws -> HTTPResponse {
        let (json, weights) = try model.classifierAdapter(pool).peftFiles(base: model.base.name)
        let labelled = try Self.classifierConfig(model.base, labels: model.manifest.labels)
        return Self.tar(model.name, [("adapter_config.json", json.encodedBytes()), ("adapter_model.safetensors", weights),
                                     ("config.json", JSONValue.object(labelled).encodedBytes())])
    }

    /// A LoRA fine-tune as a PEFT folder (`adapter_config.json`, `adapter_model.safetensors`)
    /// that `PeftModel.from_pretrained` loads over the base model.
    func causalPEFTFolder(_ adapter: FineTunedModel) throws -> HTTPResponse {
        let lora = try adapter.adapter(for: try CausalLMBase.loraLayout(adapter.base), pool: pool)
        let (config, weights) = lora.peftFiles(base: adapter.base.name)
        return Self.tar(adapter.name, [("adapter_config.json", config.encodedBytes()), ("adapter_model.safetensors", weights)])
    }

    /// A fine-tuned language model as a Hugging Face folder (`config.json`, `model.safetensors`
    /// in float32, and the base's tokenizer files when it has them: a GGUF base's tokenizer stays
    /// in its GGUF file) that `AutoModelForCausalLM.from_pretrained` loads.
    func wholeFolder(_ tuned: FineTunedModel) throws -> HTTPResponse {
        let model = try tuned.causalLM(pool)
        var (config, weights) = model.model.huggingFaceFiles()
        // A Hugging Face base keeps its own config.json (token ids, generation settings); a GGUF
        // base's end-of-sequence token is written so that `generate` stops there.
        if let own = Files.read(tuned.base.path + "/config.json").flatMap({ try? JSONValue(parsing: $0) }) {
            config = own
        } else if let eos = model.eos, case .object(var object) = config {
            object["eos_token_id"] = .int(Int64(eos))
            config = .object(object)
        }
        let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json", "generation_config.json"]
            .compactMap { name in Files.read(tuned.base.path + "/" + name).map { (name, $0) } }
        return Self.tar(tuned.name, [("config.json", config.encodedBytes()), ("model.safetensors", weights)] + tokenizerFiles)
    }

    /// A streamed tar of `files` in one folder named after the model (colons made underscores).
    static func tar(_ model: String, _ files: [(name: String, bytes: [UInt8])]) -> HTTPResponse {
        let folder = String(model.map { $0 == ":" ? "_" : $0 }.prefix(60))
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/x-tar")
        headers.add("Content-Disposition", "attachment; filename=\"\(folder).tar\"")
        return HTTPResponse(headers: headers, stream: HTTPBodyStream { write in
            try withoutActuallyEscaping(write) { write in
                let tar = TarWriter(write: write, modificationTime: WallClock.unixSeconds)
                for (name, bytes) in files { try tar.file(folder + "/" + name, bytes) }
                try tar.finish()
            }
        })
    }
}
