import JSON
import Models
import Platform
import Store

/// What a job's result depends on, recorded once, when it first starts training: the SHA-256
/// of its training and validation files and of every file of its base model, the build's
/// version, the seed, the engine's thread count and every resolved hyperparameter. A rerun
/// (`JobStore.rerun`) on a node with the same build and thread count gives bit-identical weights.
enum Reproducibility {
    /// Records the job's manifest unless an earlier attempt did. `base` is the job's base model
    /// in the catalog (nil for a trainer that has none).
    static func record(_ context: JobContext, base: ModelCatalog.BaseModel?) throws {
        let job = context.job
        // One round trip: whether an earlier attempt recorded it, and the files' hashes (kept at upload).
        let rows = try context.pool.withConnection { connection in
            try connection.query("""
                SELECT j.reproducibility IS NOT NULL AS recorded, f.id AS file, f.sha256
                FROM fine_tuning_job j LEFT JOIN file f ON f.id IN (j.training_file, j.validation_file) AND f.tenant_id = j.tenant_id
                WHERE j.id = \(job.id)
                """)
        }
        guard let first = rows.first, try !first.decode(Bool.self, "recorded") else { return }
        var hashes: [String: String] = [:]
        for row in rows {
            if let file = try row.decode(String?.self, "file") { hashes[file] = try row.decode(String?.self, "sha256") }
        }
        var files = JSONObject()
        for (param, id) in [("training_file", job.trainingFile), ("validation_file", job.validationFile)] {
            guard let id else { continue }
            files[param] = ["id": .string(id), "sha256": hashes[id].map(JSONValue.string) ?? .null]
        }
        var baseFiles = JSONObject()
        for (path, sha) in try base?.fileHashes() ?? [] { baseFiles[path] = .string(sha) }
        let manifest: JSONValue = [
            "object": "fine_tuning.job.manifest", "job": .string(job.id), "anneal_version": .string(Build.version),
            "model": .string(job.model), "architecture": .string(job.architecture), "base_files": .object(baseFiles),
            "files": .object(files), "seed": .int(job.seed), "threads": .int(Int64(EngineThreads.count)),
            "method": job.method, "hyperparameters": JobSpec.resolved(hyperparameters: job.hyperparameters, seed: Int(job.seed)),
        ]
        _ = try context.pool.withConnection { connection in
            try connection.execute("""
                UPDATE fine_tuning_job SET reproducibility = \(manifest.encoded())::jsonb
                WHERE id = \(job.id) AND reproducibility IS NULL
                """)
        }
    }
}
