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
        let recorded = try context.pool.withConnection { connection in
            try connection.query("SELECT reproducibility IS NOT NULL AS recorded FROM fine_tuning_job WHERE id = \(job.id)")
                .first?.decode(Bool.self, "recorded") ?? true
        }
        guard !recorded else { return }
        var files = JSONObject()
        for (param, id) in [("training_file", job.trainingFile), ("validation_file", job.validationFile)] {
            guard let id else { continue }
            let sha = try context.pool.withConnection { connection in
                try connection.query("SELECT sha256 FROM file WHERE id = \(id) AND tenant_id = \(job.tenantID)").first?.decode(String.self, "sha256")
            }
            files[param] = ["id": .string(id), "sha256": sha.map(JSONValue.string) ?? .null]
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
