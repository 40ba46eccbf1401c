import Jobs
import JSON
import Models
import Platform
import Store
import Testing
import TestSupport
import Tokenizers
import Training

/// Real fine-tuning through the worker: all-MiniLM-L6-v2 on Rotten Tomatoes snippets, with
/// checkpoints in PostgreSQL and a resume on another worker after a shutdown.
@Suite("BERT classification jobs", .serialized)
struct BertClassificationJobTests {
    static let root = repositoryRoot
    static let model = root + "/models/all-MiniLM-L6-v2"
    static let fixtures = root + "/Tests/TrainingTests/Fixtures/"

    static func registry() -> TrainerRegistry {
        var registry = TrainerRegistry()
        registry.register("bert", BertClassificationJob { _ in
            try ClassificationBase(folder: model, tokenizer: Tokenizer(json: Files.read(model + "/tokenizer.json")!))
        })
        return registry
    }

    static func workers(_ fixture: QueueFixture) -> WorkerPool {
        var settings = WorkerPool.Configuration()
        settings.workers = 1
        settings.heartbeatInterval = 0.2
        settings.pollInterval = 0.2
        settings.name = "bert-\(Crypto.hex(Crypto.randomBytes(3)))"
        return WorkerPool(store: JobStore(pool: fixture.pool), registry: registry(), databaseURL: fixture.url, configuration: settings)
    }

    /// A queued bert job on the fixture files with `hyperparameters`.
    static func addJob(_ fixture: QueueFixture, _ hyperparameters: JSONValue) throws -> String {
        let id = Crypto.randomID(prefix: "ftjob-")
        try fixture.pool.withConnection { connection in
            for name in ["train", "validation"] where try connection.query("SELECT 1 AS one FROM file WHERE id = \("file-rt-" + name)").isEmpty {
                try fixture.addFile("file-rt-" + name, Files.read(fixtures + "reviews-\(name).jsonl")!, connection)
            }
            try connection.execute("""
                INSERT INTO fine_tuning_job (id, tenant_id, model, architecture, training_file, validation_file, seed,
                    method, hyperparameters, status, max_attempts, validated_at, suffix)
                VALUES (\(id), \(fixture.tenant), 'all-MiniLM-L6-v2', 'bert', 'file-rt-train', 'file-rt-validation', 11,
                    '{"type":"supervised"}', \(hyperparameters.encoded())::jsonb, 'queued', 3, now(), 'rt')
                """)
        }
        return id
    }

    /// The parameters of the checkpoint the job's model links to.
    static func modelWeights(_ fixture: QueueFixture, _ job: String) throws -> (checkpoint: String, labels: String, params: [UInt8]) {
        let row = try fixture.pool.withConnection { connection in
            try connection.query("SELECT checkpoint_id, (manifest -> 'labels')::text AS labels FROM model WHERE job_id = \(job)")[0]
        }
        let checkpoint = try row.decode(String.self, "checkpoint_id")
        let parts = try CheckpointStore(pool: fixture.pool).load(checkpoint)
        return (checkpoint, try row.decode(String.self, "labels"), parts["params"] ?? [])
    }

    static let hyperparameters: JSONValue = [
        "n_epochs": 1, "batch_size": 8, "max_seq_length": 32, "learning_rate": 1e-4, "logging_steps": 2,
        "eval_strategy": "steps", "eval_steps": 2, "save_strategy": "steps", "save_steps": 2,
        "save_total_limit": 2, "load_best_model_at_end": true, "metric_for_best_model": "accuracy",
    ]

    @Test("A job trains, records metrics and checkpoints, keeps the best, and registers its model; a resumed job ends bit-identical")
    func trainsAndResumes() throws {
        #expect(Files.exists(Self.model + "/model.safetensors"), "run scripts/fetch-models")
        let fixture = try QueueFixture()
        _ = try fixture.pool.withConnection { connection in
            try connection.execute("""
                INSERT INTO webhook (id, tenant_id, url, events, secret)
                VALUES ('wh_all', \(fixture.tenant), 'https://hooks.example.com/', \(WebhookEvent.allCases.map(\.rawValue)), 'whsec_AAAA')
                """)
        }
        let reference = try Self.addJob(fixture, Self.hyperparameters)
        let workers = Self.workers(fixture)
        workers.start()
        let start = MonotonicClock.now
        #expect(try fixture.waitFor(300) { ["succeeded", "failed"].contains(try fixture.status(reference).status) })
        let seconds = MonotonicClock.now - start
        _ = workers.shutdown(grace: 5)
        let outcome = try fixture.status(reference)
        #expect(outcome.status == "succeeded", "\(outcome.error ?? "")")
        let (series, checkpoints) = try fixture.pool.withConnection { connection in
            (try JobMetrics.series(connection, job: reference), try CheckpointStore(pool: fixture.pool).list(job: reference))
        }
        let evals = series.filter { $0.kind == "eval" }
        print("bert job: 6 steps in \(seconds) s; eval accuracy \(evals.map { $0.metrics["accuracy"]?.double ?? -1 })")
        #expect(series.filter { $0.kind == "train" }.map(\.step) == [2, 4, 6])
        #expect(evals.map(\.step) == [2, 4, 6])
        #expect(checkpoints.count <= 2 && checkpoints.contains { $0.step == 6 })
        let best = try #require(checkpoints.first { $0.isBest })
        let bestAccuracy = evals.map { $0.metrics["accuracy"]?.double ?? -1 }.max()!
        #expect(best.metrics["accuracy"]?.double == bestAccuracy)
        let final = try Self.modelWeights(fixture, reference)
        #expect(final.checkpoint == best.id)
        #expect(final.labels == #"["fresh", "rotten"]"# || final.labels == #"["fresh","rotten"]"#)
        #expect(final.params.count > 80_000_000)
        // Each evaluation, checkpoint and the outcome owe the subscribed webhook one delivery.
        let owed = try fixture.pool.withConnection { connection in
            try connection.query("SELECT event_type FROM webhook_delivery WHERE job_id = \(reference) ORDER BY created_at").map { try $0.decode(String.self, "event_type") }
        }
        #expect(owed.filter { $0 == WebhookEvent.evaluationCompleted.rawValue }.count == 3)
        #expect(owed.filter { $0 == WebhookEvent.checkpointCreated.rawValue }.count == 3)
        #expect(owed.last == WebhookEvent.succeeded.rawValue && owed.filter { $0 == WebhookEvent.succeeded.rawValue }.count == 1)
        #expect(try fixture.events(reference).contains { $0.hasPrefix("Checkpoint saved at step 6") })

        // The same job, interrupted by a shutdown after its first checkpoint, resumed elsewhere.
        let resumed = try Self.addJob(fixture, Self.hyperparameters)
        let first = Self.workers(fixture)
        first.start()
        #expect(try fixture.waitFor(120) { try !CheckpointStore(pool: fixture.pool).list(job: resumed).isEmpty })
        _ = first.shutdown(grace: 10)
        let interrupted = try fixture.status(resumed)
        #expect(interrupted.status == "queued" && interrupted.lockedBy == nil)
        let second = Self.workers(fixture)
        second.start()
        defer { _ = second.shutdown(grace: 5) }
        #expect(try fixture.waitFor(300) { ["succeeded", "failed"].contains(try fixture.status(resumed).status) })
        #expect(try fixture.status(resumed).status == "succeeded")
        #expect(try fixture.events(resumed).contains { $0.hasPrefix("Resuming from checkpoint") })
        let again = try Self.modelWeights(fixture, resumed)
        #expect(digest(again.params) == digest(final.params), "resumed weights differ from the uninterrupted run's")
    }
}
