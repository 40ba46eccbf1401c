import Engine
import GGUF
import HTTP
import Jobs
import JSON
import Models
import Platform
import Store
import Tensor
import Training

/// A fine-tuned language model as the store knows it: its base (a language model of the
/// catalog), the checkpoint holding what was trained, and its job's LoRA settings (nil: fully
/// fine-tuned, the checkpoint holds every weight). Shared by the completions routes, /predict
/// and the download.
struct StoredLanguageModel {
    let name: String
    let base: ModelCatalog.BaseModel
    let checkpoint: String
    let config: LoRAConfig?

    /// The tenant's fine-tuned model `name` when it is a language model; nil when it is another
    /// kind (a classifier). An unknown model is a 404.
    static func find(_ name: String, tenant: String, pool: ConnectionPool, catalog: ModelCatalog) throws -> StoredLanguageModel? {
        let row = try pool.withConnection { connection in
            try connection.query("""
                SELECT m.base_model, m.checkpoint_id, j.hyperparameters::text AS hyperparameters
                FROM model m JOIN fine_tuning_job j ON j.id = m.job_id WHERE m.id = \(name) AND m.tenant_id = \(tenant)
                """).first
        }
        guard let row, let base = catalog.model(named: try row.decode(String.self, "base_model")) else {
            throw HTTPError.notFound("The model \(name) does not exist", param: "model")
        }
        guard base.isLanguageModel else { return nil }
        guard let checkpoint = try row.decode(String?.self, "checkpoint_id") else {
            throw HTTPError.badRequest("\(name) has no stored weights", param: "model", code: "model_unavailable")
        }
        let hyperparameters = try JSONValue(parsing: Array(try row.decode(String.self, "hyperparameters").utf8))
        let config = hyperparameters["lora"] == nil ? nil : try LoRAConfig.from(hyperparameters: hyperparameters)
        return StoredLanguageModel(name: name, base: base, checkpoint: checkpoint, config: config)
    }

    /// The adapter's weights from its checkpoint, shaped for `layout` (a LoRA fine-tune).
    func load(for layout: LoRALayout, pool: ConnectionPool) throws -> LoRA {
        guard let config else { throw HTTPError(.internalServerError, "\(name) has no adapter", param: "model", code: "model_unavailable") }
        let adapter = try LoRA(layout: layout, config: config, trainable: false)
        guard let bytes = try CheckpointStore(pool: pool).load(checkpoint, part: "lora")["lora"], adapter.params.restore(bytes) else {
            throw HTTPError(.internalServerError, "The adapter in checkpoint \(checkpoint) does not fit \(base.name)", param: "model", code: "model_unavailable")
        }
        return adapter
    }

    /// The fine-tuned model whole: the base loaded afresh with the checkpoint's weights (a full
    /// fine-tune) or with the adapter merged into them (a LoRA fine-tune).
    func loadWhole(pool: ConnectionPool, metrics: GenerationMetrics? = nil) throws -> LanguageModel {
        let model = try LanguageModel.load(base, metrics: metrics)
        if config != nil {
            try load(for: model.model.loraLayout, pool: pool).merge(into: model.model)
        } else {
            guard let bytes = try CheckpointStore(pool: pool).load(checkpoint, part: "params")["params"], model.model.params.restore(bytes) else {
                throw HTTPError(.internalServerError, "The weights in checkpoint \(checkpoint) do not fit \(base.name)", param: "model", code: "model_unavailable")
            }
        }
        return model
    }
}
