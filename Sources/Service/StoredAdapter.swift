import Engine
import GGUF
import HTTP
import Jobs
import JSON
import Platform
import Store
import Tensor
import Training

/// A LoRA fine-tune as the store knows it: its base (a language model of the catalog), the checkpoint holding its adapters and the LoRA settings of its job. Shared by
/// the completions routes and the download.
struct StoredAdapter {
    let name: String
    let base: ModelCatalog.BaseModel
    let checkpoint: String
    let config: LoRAConfig

    /// The tenant's fine-tuned model `name` when it is a LoRA adapter; nil when it is another
    /// kind (a classifier). An unknown model is a 404.
    static func find(_ name: String, tenant: String, pool: ConnectionPool, catalog: ModelCatalog) throws -> StoredAdapter? {
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
            throw HTTPError.badRequest("\(name) has no stored adapter", param: "model", code: "model_unavailable")
        }
        let hyperparameters = try JSONValue(parsing: Array(try row.decode(String.self, "hyperparameters").utf8))
        return StoredAdapter(name: name, base: base, checkpoint: checkpoint, config: try LoRAConfig.from(hyperparameters: hyperparameters))
    }

    /// The adapter's weights from its checkpoint, shaped for `layout`.
    func load(for layout: LoRALayout, pool: ConnectionPool) throws -> LoRA {
        let adapter = try LoRA(layout: layout, config: config, trainable: false)
        guard let bytes = try CheckpointStore(pool: pool).load(checkpoint, part: "lora")["lora"], adapter.params.restore(bytes) else {
            throw HTTPError(.internalServerError, "The adapter in checkpoint \(checkpoint) does not fit \(base.name)", param: "model", code: "model_unavailable")
        }
        return adapter
    }
}
