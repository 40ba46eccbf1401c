import Engine
import JSON
import Platform
import Store

/// A fine-tuned model as the files Hugging Face libraries load: `transformers` folders, or PEFT
/// adapter folders over the base.
extension FineTunedModel {
    /// The download's files: an adapter's fine-tune (LoRA, prefix tuning) as a PEFT folder
    /// unless `merged` (a prefix cannot be); otherwise (and
    /// always for a full fine-tune) a Hugging Face folder of the whole model. A classifier's
    /// folder is BertForSequenceClassification with its labels and the base's tokenizer files;
    /// a language model's, the causal LM in float32 with its base's tokenizer files (a GGUF base's
    /// tokenizer stays in its GGUF file). The weights stream from the loaded model's memory.
    public func exportFiles(merged: Bool, pool: ConnectionPool) throws -> [StreamedFile] {
        if isLanguageModel { return adapter != nil && !merged ? try causalPEFTFiles(pool) : try causalFiles(pool) }
        if adapter != nil && !merged { return try classifierPEFTFiles(pool) }
        try requireMergeable()
        let weights = BertCheckpoint.safetensors(try classifier(pool, maxB: 1))
        let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"].compactMap { name in
            Files.read(base.path + "/" + name).map { StreamedFile(name: name, bytes: name == "tokenizer.json" ? Self.unpadded($0) : $0) }
        }
        return [StreamedFile(name: "config.json", bytes: JSONValue.object(try classifierConfigJSON()).encodedBytes()),
                weights.file(named: "model.safetensors")] + tokenizerFiles
    }

    /// The base's config.json as the fine-tune's: BertForSequenceClassification with its labels.
    func classifierConfigJSON() throws -> JSONObject {
        guard var config = base.config?.object else {
            throw ModelLoadError(.unavailable, model: name, "The config.json of \(base.name) cannot be read")
        }
        var id2label = JSONObject(), label2id = JSONObject()
        for (i, label) in manifest.labels.enumerated() {
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

    /// An adapter's classifier as a PEFT folder (task SEQ_CLS, the head as `modules_to_save`) for
    /// `PeftModel.from_pretrained` over the base loaded with the fine-tune's labels, which its
    /// `config.json` holds (`AutoModelForSequenceClassification.from_pretrained(base,
    /// config=AutoConfig.from_pretrained(folder))`).
    func classifierPEFTFiles(_ pool: ConnectionPool) throws -> [StreamedFile] {
        let (json, weights) = try classifierAdapter(pool).peftFiles(base: base.name)
        return [StreamedFile(name: "adapter_config.json", bytes: json.encodedBytes()), weights.file(named: "adapter_model.safetensors"),
                StreamedFile(name: "config.json", bytes: JSONValue.object(try classifierConfigJSON()).encodedBytes())]
    }

    /// An adapter's language model as a PEFT folder that `PeftModel.from_pretrained` loads over the base.
    func causalPEFTFiles(_ pool: ConnectionPool) throws -> [StreamedFile] {
        let layouts = try CausalLMBase.layouts(base)
        let (config, weights) = try adapter(lora: layouts.lora, prefix: layouts.prefix, pool: pool).peftFiles(base: base.name)
        return [StreamedFile(name: "adapter_config.json", bytes: config.encodedBytes()), weights.file(named: "adapter_model.safetensors")]
    }

    /// The whole language model as a folder `AutoModelForCausalLM.from_pretrained` loads.
    func causalFiles(_ pool: ConnectionPool) throws -> [StreamedFile] {
        let model = try causalLM(pool)
        var (config, weights) = model.model.huggingFaceFiles()
        // A Hugging Face base keeps its own config.json (token ids, generation settings); a GGUF
        // base's end-of-sequence token is written so that `generate` stops there.
        if let own = base.config {
            config = own
        } else if let eos = model.eos, case .object(var object) = config {
            object["eos_token_id"] = .int(Int64(eos))
            config = .object(object)
        }
        let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json", "generation_config.json"]
            .compactMap { name in Files.read(base.path + "/" + name).map { StreamedFile(name: name, bytes: $0) } }
        return [StreamedFile(name: "config.json", bytes: config.encodedBytes()), weights.file(named: "model.safetensors")] + tokenizerFiles
    }
}
