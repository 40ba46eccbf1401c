import Jobs
import JSON
import Models
import Platform
import Store
import TestSupport

/// A migrated throwaway database with a tenant and a valid labelled training file, and helpers
/// to insert jobs the way the API does.
final class QueueFixture: @unchecked Sendable {
    let url: String
    let drop: () -> Void
    let pool: ConnectionPool
    let tenant = "acme"
    let file = "file-train"

    static let training = Array("""
        {"text": "A sharp, funny film.", "label": "fresh"}
        {"text": "Dull and overlong.", "label": "rotten"}
        {"text": "The cast is terrific.", "label": "fresh"}

        """.utf8)

    init() throws {
        (url, drop) = try TestDatabase.create()
        pool = ConnectionPool(url: url, size: 12)
        try pool.withConnection { connection in
            _ = try Migrator.migrate(connection, embeddedMigrations)
            try connection.execute("INSERT INTO tenant (id) VALUES (\(tenant))")
            try addFile(file, QueueFixture.training, connection)
        }
    }

    deinit {
        pool.close()
        drop()
    }

    func addFile(_ id: String, _ content: [UInt8], _ connection: Connection) throws {
        try connection.execute("""
            INSERT INTO file (id, tenant_id, filename, purpose, bytes, sha256)
            VALUES (\(id), \(tenant), \(id + ".jsonl"), 'fine-tune', \(content.count), \(Crypto.hex(Crypto.sha256(content))))
            """)
        try FileContent.write(connection, file: id, bytes: content)
    }

    /// Inserts a job in `status` (as the API would, or further along) and returns its id.
    @discardableResult
    func addJob(status: String = "validating_files", architecture: String = "test", validationFile: String? = nil,
                maxAttempts: Int = 3) throws -> String {
        let id = Crypto.randomID(prefix: "ftjob-")
        _ = try pool.withConnection { connection in
            try connection.execute("""
                INSERT INTO fine_tuning_job (id, tenant_id, model, architecture, training_file, validation_file, seed,
                    method, hyperparameters, status, max_attempts, validated_at)
                VALUES (\(id), \(tenant), 'base', \(architecture), \(file), \(validationFile), 1, '{"type":"supervised"}',
                    '{}', \(status), \(maxAttempts), CASE WHEN \(status) = 'queued' THEN now() END)
                """)
        }
        return id
    }

    func status(_ job: String) throws -> (status: String, attempt: Int, lockedBy: String?, error: String?) {
        try pool.withConnection { connection in
            let row = try connection.query("""
                SELECT status, attempt, locked_by, error->>'message' AS message FROM fine_tuning_job WHERE id = \(job)
                """)[0]
            return (try row.decode(String.self, "status"), try row.decode(Int.self, "attempt"),
                    try row.decode(String?.self, "locked_by"), try row.decode(String?.self, "message"))
        }
    }

    func events(_ job: String) throws -> [String] {
        try pool.withConnection { connection in
            try connection.query("SELECT message FROM fine_tuning_job_event WHERE job_id = \(job) ORDER BY seq")
                .map { try $0.decode(String.self, "message") }
        }
    }

    /// Polls `condition` every 20 ms for up to `timeout` seconds.
    func waitFor(_ timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = MonotonicClock.now + timeout
        while MonotonicClock.now < deadline {
            if try condition() { return true }
            sleep(seconds: 0.02)
        }
        return try condition()
    }
}

/// A trainer that runs `steps` steps of `stepSeconds`, checking for interruption between steps,
/// and records how far it got.
struct StepTrainer: TrainingJob {
    let steps: Int
    let stepSeconds: Double
    let progress = ConditionLock((step: 0, stoppedAt: 0.0, interruption: JobInterruption?.none))

    func train(_ context: JobContext) throws -> TrainingResult {
        for step in 1...steps {
            do {
                try context.throwIfInterrupted()
            } catch {
                progress.withLock { $0.stoppedAt = MonotonicClock.now; $0.interruption = error }
                progress.broadcast()
                throw error
            }
            sleep(seconds: stepSeconds)
            progress.withLock { $0.step = step }
            try context.reportProgress(step: step, totalSteps: steps, epoch: Double(step) / Double(steps))
        }
        return TrainingResult(trainedTokens: steps * 100, manifest: ModelManifest(kind: .causalLM, base: context.job.model, architecture: "test", adapter: nil))
    }
}
