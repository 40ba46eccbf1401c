import JSON
import Platform
import Store

/// Checkpoints in PostgreSQL: named parts (weights, optimizer state, ...) split into chunks,
/// each with its SHA-256 checked on read, plus the trainer's small state (scheduler, RNG, data
/// position) and the metrics at that step. One transaction per save, so a worker that dies
/// mid-save leaves no partial checkpoint.
public struct CheckpointStore: Sendable {
    public struct Checkpoint: Sendable {
        public var id: String
        public var step: Int
        public var epoch: Double
        public var metrics: JSONValue
        public var state: JSONValue
        public var isBest: Bool
    }

    /// A save under a worker's lease found that the worker no longer holds the job.
    public struct LeaseLost: Error, CustomStringConvertible, Sendable {
        public var job: String
        public var description: String { "the lease on \(job) is lost: another worker owns it" }
    }

    public struct CorruptCheckpoint: Error, CustomStringConvertible, Sendable {
        public var checkpoint: String
        public var part: String
        public var chunk: Int
        public var description: String { "checkpoint \(checkpoint): chunk \(chunk) of \(part) fails its SHA-256 check" }
    }

    public let pool: ConnectionPool
    public var chunkSize: Int

    public init(pool: ConnectionPool, chunkSize: Int = 8 << 20) {
        self.pool = pool
        self.chunkSize = chunkSize
    }

    /// Saves a checkpoint and returns its id (`ftckpt-…`). `model` names it for the API, e.g.
    /// `ft:base:suffix:ftjob-…:ckpt-step-100`. A checkpoint of the same step from an earlier
    /// attempt is replaced. With `worker`, the save happens only while that worker holds the
    /// job's lease (else `LeaseLost`), so a worker that lost its job cannot write. `also` runs in
    /// the same transaction (the checkpoint's event and webhook delivery).
    public func save(id: String = Crypto.randomID(prefix: "ftckpt-"), job: String, worker: String? = nil, model: String, step: Int,
                     epoch: Double, metrics: JSONValue, state: JSONValue, parts: [(name: String, bytes: [UInt8])],
                     also: (Connection) throws -> Void = { _ in }) throws -> String {
        let total = parts.reduce(0) { $0 + $1.bytes.count }
        try pool.transaction { connection in
            if let worker {
                let held = try connection.query("""
                    SELECT 1 AS held FROM fine_tuning_job WHERE id = \(job) AND locked_by = \(worker) FOR SHARE
                    """)
                if held.isEmpty { throw LeaseLost(job: job) }
            }
            try connection.execute("DELETE FROM fine_tuning_job_checkpoint WHERE job_id = \(job) AND step_number = \(step)")
            try connection.execute("""
                INSERT INTO fine_tuning_job_checkpoint (id, job_id, step_number, epoch, metrics, state, bytes, fine_tuned_model_checkpoint)
                VALUES (\(id), \(job), \(step), \(epoch), \(metrics.encoded())::jsonb, \(state.encoded())::jsonb, \(total),
                        \(model + ":ckpt-step-\(step)"))
                """)
            for (name, bytes) in parts {
                var seq = 0
                var offset = 0
                repeat {
                    let chunk = Array(bytes[offset..<min(offset + chunkSize, bytes.count)])
                    try connection.execute("""
                        INSERT INTO fine_tuning_job_checkpoint_chunk (checkpoint_id, part, seq, sha256, data)
                        VALUES (\(id), \(name), \(seq), \(Crypto.hex(Crypto.sha256(chunk))), \(chunk))
                        """)
                    seq += 1
                    offset += chunkSize
                } while offset < bytes.count
            }
            try also(connection)
        }
        return id
    }

    /// The job's checkpoints, newest first.
    public func list(job: String) throws -> [Checkpoint] {
        try pool.withConnection { connection in
            try connection.query("""
                SELECT id, step_number, epoch, metrics::text, state::text, is_best FROM fine_tuning_job_checkpoint
                WHERE job_id = \(job) ORDER BY step_number DESC
                """).map { row in
                Checkpoint(id: try row.decode(String.self, "id"), step: try row.decode(Int.self, "step_number"),
                           epoch: try row.decode(Double.self, "epoch"),
                           metrics: try JSONValue(parsing: row.decode(String.self, "metrics")),
                           state: try JSONValue(parsing: row.decode(String.self, "state")),
                           isBest: try row.decode(Bool.self, "is_best"))
            }
        }
    }

    /// Every part of a checkpoint (or only `part`), its chunks verified and joined.
    public func load(_ checkpoint: String, part only: String? = nil) throws -> [String: [UInt8]] {
        let rows = try pool.withConnection { connection in
            try connection.queryBinary("""
                SELECT part, seq::text AS chunk, sha256, data FROM fine_tuning_job_checkpoint_chunk
                WHERE checkpoint_id = \(checkpoint) AND (\(only)::text IS NULL OR part = \(only)) ORDER BY part, seq
                """)
        }
        var parts: [String: [UInt8]] = [:]
        for row in rows {
            let part = String(decoding: try row.bytes("part") ?? [], as: UTF8.self)
            let data = try row.bytes("data") ?? []
            guard Crypto.hex(Crypto.sha256(data)) == String(decoding: try row.bytes("sha256") ?? [], as: UTF8.self) else {
                throw CorruptCheckpoint(checkpoint: checkpoint, part: part,
                                        chunk: Int(String(decoding: try row.bytes("chunk") ?? [], as: UTF8.self)) ?? -1)
            }
            parts[part, default: []].append(contentsOf: data)
        }
        return parts
    }

    /// Marks `best` as the job's best checkpoint (nil: none).
    public func markBest(job: String, best: String?) throws {
        _ = try pool.withConnection { connection in
            try connection.execute("UPDATE fine_tuning_job_checkpoint SET is_best = coalesce(id = \(best), false) WHERE job_id = \(job)")
        }
    }

    /// Keeps `limit` checkpoints counting the best one, as HF's `save_total_limit`, and always the
    /// newest (what a resumed run continues from and the final model is): with a limit of 1 and an
    /// older best, both stay. Deletes the rest; returns the deleted ids.
    @discardableResult
    public func prune(job: String, keep limit: Int) throws -> [String] {
        try pool.withConnection { connection in
            try connection.query("""
                DELETE FROM fine_tuning_job_checkpoint WHERE id IN (
                    SELECT id FROM fine_tuning_job_checkpoint WHERE job_id = \(job) AND NOT is_best
                    ORDER BY step_number DESC OFFSET CASE
                        WHEN NOT EXISTS (SELECT 1 FROM fine_tuning_job_checkpoint WHERE job_id = \(job) AND is_best) THEN \(max(1, limit))
                        WHEN (SELECT is_best FROM fine_tuning_job_checkpoint WHERE job_id = \(job) ORDER BY step_number DESC LIMIT 1)
                            THEN \(max(0, limit - 1))
                        ELSE \(max(1, limit - 1)) END)
                RETURNING id
                """).map { try $0.decode(String.self, "id") }
        }
    }
}
