import Engine
import HTTP
import Inference
import Jobs
import JSON
import Models
import Platform
import Store
import Tokenizers
import Training

/// A fine-tuned classifier as the store knows it: the checkpoint holding its weights (or, for a
/// LoRA fine-tune, its adapter and head), its labels and its base model (for the config, the
/// tokenizer and a LoRA fine-tune's frozen weights). Shared by `POST /predict`, the download and
/// `anneal predict`.
public struct StoredClassifier: Sendable {
    public let name: String
    public let checkpoint: String
    public let labels: [String]
    public let base: ModelCatalog.BaseModel
    /// The job's LoRA settings; nil for a full fine-tune.
    public let lora: LoRAConfig?

    /// The tenant's model `name` (any tenant's when `tenant` is nil, for local use). Base models,
    /// unknown models and models without stored weights are errors with an HTTP status.
    public static func find(_ name: String, tenant: String?, pool: ConnectionPool, catalog: ModelCatalog) throws -> StoredClassifier {
        if catalog.model(named: name) != nil {
            throw HTTPError.badRequest("\(name) is a base model without a classification head; fine-tune it first", param: "model", code: "model_without_head")
        }
        let row = try pool.withConnection { connection in
            try connection.query("""
                SELECT m.base_model, m.checkpoint_id, m.labels::text AS labels, j.hyperparameters::text AS hyperparameters
                FROM model m LEFT JOIN fine_tuning_job j ON j.id = m.job_id
                WHERE m.id = \(name) AND (\(tenant)::text IS NULL OR m.tenant_id = \(tenant))
                """).first
        }
        guard let row else { throw HTTPError.notFound("The model \(name) does not exist", param: "model") }
        guard let checkpoint = try row.decode(String?.self, "checkpoint_id"),
              let labelText = try row.decode(String?.self, "labels"),
              let labels = try JSONValue(parsing: Array(labelText.utf8)).array?.compactMap(\.string),
              let base = catalog.model(named: try row.decode(String.self, "base_model")) else {
            throw HTTPError.badRequest("\(name) has no stored classification weights", param: "model", code: "model_without_head")
        }
        let lora: LoRAConfig?
        do {
            let hyperparameters = try JSONValue(parsing: Array((try row.decode(String?.self, "hyperparameters") ?? "{}").utf8))
            lora = hyperparameters["lora"] == nil ? nil : try LoRAConfig.from(hyperparameters: hyperparameters)
        } catch {
            throw HTTPError(.internalServerError, "The LoRA settings of \(name) cannot be read: \(error)", param: "model", code: "model_unavailable")
        }
        return StoredClassifier(name: name, checkpoint: checkpoint, labels: labels, base: base, lora: lora)
    }

    /// The inference model from the store: the checkpoint's weights, or the base's with the
    /// adapter merged in and the trained head.
    func model(_ store: CheckpointStore, maxB: Int = 16) throws -> Bert {
        let part = lora == nil ? "params" : "lora"
        guard let bytes = try store.load(checkpoint, part: part)[part] else {
            throw HTTPError(.internalServerError, "The weights of \(name) are missing", param: "model", code: "model_unavailable")
        }
        guard let lora else { return try Classifier.model(folder: base.path, labels: labels, params: bytes, maxB: maxB) }
        return try Classifier.model(folder: base.path, labels: labels, lora: lora, bytes: bytes, maxB: maxB)
    }

    /// The base model's tokenizer, truncating at the model's limit when `truncate`.
    public func tokenizer(_ cache: TokenizerCache, truncate: Bool) throws -> (tokenizer: Tokenizer, limit: Int) {
        var tokenizer: Tokenizer
        do { tokenizer = try cache.tokenizer(for: base) } catch {
            throw HTTPError(.internalServerError, "The tokenizer of \(base.name) cannot be loaded: \(error)", param: "model", code: "model_unavailable")
        }
        let limit = min(512, EmbedRoutes.maxPositions(base.path))
        tokenizer.padding = nil
        tokenizer.truncation = truncate ? Truncation(maxLength: limit) : nil
        return (tokenizer, limit)
    }

    /// Logits for (text, pair) inputs through `classifier` (batched with concurrent callers;
    /// the weights load from the store on the first call).
    public func logits(_ inputs: [(String, String?)], truncate: Bool, tokenizers: TokenizerCache,
                       classifier: Classifier, pool: ConnectionPool) throws -> [[Float]] {
        let (tokenizer, limit) = try tokenizer(tokenizers, truncate: truncate)
        let encodings = inputs.map { tokenizer.encode($0.0, pair: $0.1) }
        if let long = encodings.firstIndex(where: { $0.ids.count > limit }) {
            throw HTTPError.badRequest("input \(long) has \(encodings[long].ids.count) tokens, more than \(limit); set truncate", param: "inputs", code: "input_too_long")
        }
        let store = CheckpointStore(pool: pool), stored = self
        return try classifier.logits(Classifier.Request(
            model: name, ids: encodings.map { $0.ids.map(Int32.init) }, types: encodings.map { $0.typeIDs.map(Int32.init) },
            load: { try stored.model(store) }))
    }

    /// `[{"label","score"}]` sorted by score: softmax probabilities, or the logits when `raw`.
    public func ranked(_ logits: [Float], raw: Bool, topK: Int?) -> JSONValue {
        let scores = raw ? logits.map(Double.init) : Self.softmax(logits)
        var ranked = zip(labels, scores).sorted { $0.1 > $1.1 }
        if let topK { ranked = Array(ranked.prefix(topK)) }
        return .array(ranked.map { ["label": .string($0.0), "score": .double($0.1)] })
    }

    static func softmax(_ logits: [Float]) -> [Double] {
        let top = Double(logits.max() ?? 0)
        let exps = logits.map { Math.exp(Double($0) - top) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }
}
