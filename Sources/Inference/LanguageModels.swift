import Engine
import Models
import Store
import Tensor
import Tokenizers

/// The language models this process serves, loaded on first use and kept while they fit:
/// a base model once, however many of its adapters' fine-tunes (LoRA, prefix tuning) are in use (each an adapter over the
/// base's one resident copy, decoding in the base's shared batches), and a full fine-tune as a
/// model of its own.
public final class LanguageModels: Sendable {
    public let metrics: GenerationMetrics
    /// Base models and full fine-tunes, least recently used dropped first past the capacity.
    let models: ModelCache<LanguageModel>
    /// Adapters of fine-tunes (LoRA, prefix tuning), by model name: small beside their bases.
    let adapters: ModelCache<any Adapter>

    public init(capacityBytes: Int, adapterCapacityBytes: Int = 512 << 20, metrics: GenerationMetrics) {
        models = ModelCache(capacityBytes: capacityBytes)
        adapters = ModelCache(capacityBytes: adapterCapacityBytes)
        self.metrics = metrics
    }

    /// Base models and full fine-tunes resident now, and the adapters, for metrics and tests.
    public var resident: [(key: String, bytes: Int)] { models.resident }
    public var residentAdapters: [(key: String, bytes: Int)] { adapters.resident }

    /// Runs `body` with `base`, or with the fine-tune `tuned` of it (its weights from `pool`):
    /// the base with the adapter of a LoRA or prefix-tuned fine-tune, or the whole model of a full one. The
    /// models stay in use, so not evicted, until `body` returns.
    public func withModel<T>(_ base: ModelCatalog.BaseModel, tuned: FineTunedModel?, pool: ConnectionPool,
                             _ body: (ServedModel) throws -> T) throws -> T {
        if let tuned, tuned.adapter == nil {
            return try models.withModel(tuned.name, load: {
                let model = LanguageModel(try tuned.causalLM(pool), metrics: metrics)
                return (model, model.bytes)
            }) { model in try body(ServedModel(model: model, adapter: nil)) }
        }
        return try models.withModel(base.name, load: {
            let model = try LanguageModel.load(base, metrics: metrics)
            return (model, model.bytes)
        }) { model in
            guard let tuned else { return try body(ServedModel(model: model, adapter: nil)) }
            return try adapters.withModel(tuned.name, load: {
                var adapter = try tuned.adapter(lora: model.model.loraLayout, prefix: model.model.prefixLayout, pool: pool)
                if let prefix = adapter as? PrefixTuning { adapter = prefix.inferenceTable() }  // no projection to rerun per request
                return (adapter, adapter.params.count * 4)
            }) { adapter in try body(ServedModel(model: model, adapter: adapter)) }
        }
    }
}

/// A language model as one request uses it: the resident model and the adapter of the fine-tune
/// the request names (nil: the model itself).
public struct ServedModel: Sendable {
    public let model: LanguageModel
    let adapter: (any Adapter)?

    public var name: String { model.name }
    public var tokenizer: Tokenizer { model.tokenizer }
    public var template: ChatTemplate? { model.template }
    /// The longest prompt and generation together, in tokens (a prefix's slots come first).
    public var contextLength: Int { model.model.maxT - ((adapter as? PrefixTuning)?.virtualTokens ?? 0) }

    /// `LanguageModel.generate` through this request's adapter.
    public func generate(prompt: [Int32], maxTokens: Int, sampler: Sampler, stop: [String],
                         cancelled: @escaping @Sendable () -> Bool = { false },
                         emit: (String) throws -> Bool) throws -> (text: String, tokens: Int, finish: FinishReason) {
        try model.generate(prompt: prompt, maxTokens: maxTokens, sampler: sampler, stop: stop, adapter: adapter, cancelled: cancelled, emit: emit)
    }
}
