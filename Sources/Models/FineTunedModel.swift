import Engine
import JSON
import Store
import Tensor

/// A fine-tuned model as the store knows it: its name, its base in the catalog, the checkpoint
/// holding its weights and its manifest. Everything that serves or exports a fine-tune starts
/// here (`/predict`, completions, the download, `anneal predict`); the weights come through
/// `CheckpointStore`, and what they are through the manifest.
public struct FineTunedModel: Sendable {
    public let name: String
    public let base: ModelCatalog.BaseModel
    public let checkpoint: String
    public let manifest: ModelManifest

    public var isLanguageModel: Bool { manifest.kind == .causalLM }
    /// The longest input a classifier takes, in tokens: its position table (less a prefix's
    /// slots), at most 512.
    public var maxTokens: Int { min(512, base.maxPositions - prefixSlots) }
    /// The adapter's settings, nil for a full fine-tune.
    public var adapter: AdapterSettings? { manifest.adapter }
    /// The positions a prefix takes before the tokens (prefix tuning); 0 otherwise.
    public var prefixSlots: Int { adapter?.prefix?.virtualTokens ?? 0 }

    /// The tenant's model `name` (any tenant's when `tenant` is nil, for local use). A base model
    /// of the catalog is not a fine-tune (`withoutHead`); an unknown model is `notFound`.
    public static func find(_ name: String, tenant: String?, pool: ConnectionPool, catalog: ModelCatalog) throws -> FineTunedModel {
        if catalog.model(named: name) != nil {
            throw ModelLoadError(.withoutHead, model: name, "\(name) is a base model without a classification head; fine-tune it first")
        }
        let row = try pool.withConnection { connection in
            try connection.query("""
                SELECT checkpoint_id, manifest::text AS manifest FROM model
                WHERE id = \(name) AND (\(tenant)::text IS NULL OR tenant_id = \(tenant))
                """).first
        }
        guard let row else { throw ModelLoadError(.notFound, model: name, "The model \(name) does not exist") }
        let manifest: ModelManifest
        do { manifest = try ModelManifest(json: try JSONValue(parsing: row.decode(String.self, "manifest"))) } catch {
            throw ModelLoadError(.unavailable, model: name, "The manifest of \(name) cannot be read: \(error)")
        }
        guard let base = catalog.model(named: manifest.base) else {
            throw ModelLoadError(.notFound, model: name, "The model \(name) does not exist: its base \(manifest.base) is no longer served")
        }
        guard let checkpoint = try row.decode(String?.self, "checkpoint_id") else {
            throw ModelLoadError(.unavailable, model: name, "\(name) has no stored weights")
        }
        return FineTunedModel(name: name, base: base, checkpoint: checkpoint, manifest: manifest)
    }

    /// The checkpoint part holding the trained weights, verified.
    public func weights(_ pool: ConnectionPool) throws -> [UInt8] {
        let part = manifest.weightsPart.rawValue
        guard let bytes = try CheckpointStore(pool: pool).load(checkpoint, part: part)[part] else {
            throw ModelLoadError(.unavailable, model: name, "The weights of \(name) are missing")
        }
        return bytes
    }

    func unfit(_ what: String) -> ModelLoadError {
        ModelLoadError(.unavailable, model: name, "The stored \(what) of \(name) does not fit its base \(base.name)")
    }
}

extension FineTunedModel {
    /// Throws unless this is a classifier.
    public func requireClassifier() throws(ModelLoadError) {
        guard manifest.kind == .classifier else {
            throw ModelLoadError(.withoutHead, model: name, "\(name) is a language model, not a classifier")
        }
    }

    /// Throws unless this is a language model.
    public func requireLanguageModel() throws(ModelLoadError) {
        guard isLanguageModel else {
            throw ModelLoadError(.notGenerative, model: name,
                                 "\(name) is not a language model; completions need a Llama-family or GPT-2 model or its fine-tune")
        }
    }

    /// The base's BERT config with this classifier's labels.
    public func classifierConfig() throws -> BertConfig {
        try requireClassifier()
        var config = try BertConfig.load(folder: base.path)
        config.labels = manifest.labels
        return config
    }

    /// The adapter with its trained head (a LoRA or prefix-tuned classifier), shaped for the base's config.
    public func classifierAdapter(_ pool: ConnectionPool) throws -> any Adapter {
        let config = try classifierConfig()
        return try stored(adapter: adapter, lora: config.loraLayout, prefix: config.prefixLayout,
                          saved: config.loraHead.filter { manifest.head.contains($0.name) }, pool: pool)
    }

    /// The adapter of `settings` with the checkpoint's weights, shaped for these layouts.
    func stored(adapter settings: AdapterSettings?, lora: LoRALayout, prefix: PrefixLayout,
                saved: [(name: String, shape: [Int], decay: Bool)] = [], pool: ConnectionPool) throws -> any Adapter {
        let adapter: any Adapter
        switch settings {
        case .lora(let config): adapter = try LoRA(layout: lora, config: config, trainable: false, saved: saved)
        case .prefix(let config): adapter = PrefixTuning(layout: prefix, config: config, trainable: false, saved: saved, random: false)
        case nil: throw ModelLoadError(.unavailable, model: name, "\(name) has no adapter")
        }
        guard adapter.params.restore(try weights(pool)) else { throw unfit("adapter") }
        return adapter
    }

    /// The classifier for inference: the checkpoint's weights, or the base's with the adapter
    /// (LoRA merged in, or the prefix beside it) and the trained head.
    public func classifier(_ pool: ConnectionPool, maxB: Int = 16) throws -> Bert {
        let config = try classifierConfig()
        let model = Bert(config: config, maxB: maxB, maxT: maxTokens, trainable: false, prefixSlots: prefixSlots)
        model.firstTokenOnly = true  // only logits are read
        guard adapter != nil else {
            guard model.params.restore(try weights(pool)) else { throw unfit("weights") }
            model.packForInference()
            return model
        }
        _ = try BertCheckpoint.load(model, from: SafeTensors(path: base.path + "/model.safetensors"), headOptional: true)
        let adapter = try classifierAdapter(pool)
        if let lora = adapter as? LoRA { lora.merge { model.weight(module: $0, layer: $1) } }
        model.prefix = (adapter as? PrefixTuning)?.inferenceTable()
        guard model.copyHead(from: adapter) else { throw unfit("head") }
        model.packForInference()
        return model
    }

    /// Throws for a prefix-tuned model asked for merged weights: a prefix is not a change of
    /// weights, it needs PEFT (or Anneal) to run.
    func requireMergeable() throws(ModelLoadError) {
        guard adapter?.prefix == nil else {
            throw ModelLoadError(.unsupported, model: name,
                                 "\(name) is prefix-tuned: its prefix cannot be merged into the weights; download it as a PEFT folder (merged=false)")
        }
    }
}

extension FineTunedModel {
    /// A language model's adapter (LoRA or prefix tuning), shaped for its base's layouts.
    public func adapter(lora: LoRALayout, prefix: PrefixLayout, pool: ConnectionPool) throws -> any Adapter {
        try stored(adapter: adapter, lora: lora, prefix: prefix, pool: pool)
    }

    /// The fine-tuned language model whole: the base loaded afresh with the checkpoint's weights
    /// (a full fine-tune) or with the adapter merged into them (a LoRA fine-tune; a prefix does
    /// not merge).
    public func causalLM(_ pool: ConnectionPool) throws -> CausalLMBase {
        try requireLanguageModel()
        try requireMergeable()
        let loaded = try CausalLMBase.load(base)
        if adapter != nil {
            let lora = try self.adapter(lora: loaded.model.loraLayout, prefix: loaded.model.prefixLayout, pool: pool) as! LoRA
            lora.merge(into: loaded.model)
        } else {
            guard loaded.model.params.restore(try weights(pool)) else { throw unfit("weights") }
        }
        return loaded
    }
}
