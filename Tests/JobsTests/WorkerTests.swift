import Jobs
import JSON
import Platform
import Store
import Testing
import TestSupport

@Suite("Workers: validation, training, cancel, pause and shutdown")
struct WorkerTests {
    func pool(_ fixture: QueueFixture, _ trainer: StepTrainer?, lease: Double = 30) -> WorkerPool {
        var registry = TrainerRegistry()
        if let trainer { registry.register("test", trainer) }
        var settings = WorkerPool.Configuration()
        settings.workers = 2
        settings.heartbeatInterval = 0.2
        settings.name = "test-\(Crypto.hex(Crypto.randomBytes(3)))"
        return WorkerPool(store: JobStore(pool: fixture.pool, lease: lease), registry: registry, databaseURL: fixture.url,
                          configuration: settings)
    }

    @Test("A job is validated, queued, trained and registered as a fine-tuned model")
    func succeeds() throws {
        let fixture = try QueueFixture()
        let job = try fixture.addJob()
        let workers = pool(fixture, StepTrainer(steps: 3, stepSeconds: 0.01))
        workers.start()
        defer { workers.shutdown(grace: 5) }
        #expect(try fixture.waitFor(10) { try fixture.status(job).status == "succeeded" })
        let events = try fixture.events(job)
        #expect(events.contains { $0.contains("3 examples, labels fresh, rotten") })
        #expect(events.contains("Files validated; job queued"))
        #expect(events.last == "The job has successfully completed")
        let model = try fixture.pool.withConnection { connection in
            try connection.query("SELECT fine_tuned_model, trained_tokens, progress->>'percent' AS percent FROM fine_tuning_job WHERE id = \(job)")[0]
        }
        #expect(try model.decode(String.self, "fine_tuned_model") == "ft:base::\(job)")
        #expect(try model.decode(Int.self, "trained_tokens") == 300)
        #expect(try model.decode(String.self, "percent") == "100.0")
    }

    @Test("Cancelling a running job stops its trainer within a second")
    func cancelWithinOneSecond() throws {
        let fixture = try QueueFixture()
        let job = try fixture.addJob(status: "queued")
        let trainer = StepTrainer(steps: 10_000, stepSeconds: 0.02)
        let workers = pool(fixture, trainer)
        workers.start()
        defer { workers.shutdown(grace: 5) }
        #expect(fixture.waitFor(10) { trainer.progress.withLock { $0.step } >= 3 })
        let cancelledAt = MonotonicClock.now
        _ = try fixture.pool.withConnection { connection in
            try connection.execute("UPDATE fine_tuning_job SET status = 'cancelled', finished_at = now() WHERE id = \(job)")
        }
        let stopped = trainer.progress.withLock(when: { $0.interruption != nil }, timeout: 2) { state, _ in state }
        #expect(stopped.interruption == .statusChanged(.cancelled))
        #expect(stopped.stoppedAt - cancelledAt < 1.0, "took \(stopped.stoppedAt - cancelledAt) s")
        #expect(try fixture.waitFor(2) { try fixture.status(job).lockedBy == nil })
        #expect(try fixture.status(job).status == "cancelled")
    }

    @Test("Shutdown hands a running job back to the queue without counting the attempt")
    func shutdownRequeues() throws {
        let fixture = try QueueFixture()
        let job = try fixture.addJob(status: "queued")
        let trainer = StepTrainer(steps: 10_000, stepSeconds: 0.02)
        let workers = pool(fixture, trainer)
        workers.start()
        #expect(fixture.waitFor(10) { trainer.progress.withLock { $0.step } >= 1 })
        #expect(workers.shutdown(grace: 5))
        let state = try fixture.status(job)
        #expect(state.status == "queued" && state.attempt == 0 && state.lockedBy == nil)
        #expect(try fixture.events(job).contains("Worker shutting down; job returned to the queue"))
    }

    @Test("An architecture without a trainer fails the job with a clear error")
    func unsupportedArchitecture() throws {
        let fixture = try QueueFixture()
        let job = try fixture.addJob(architecture: "bert")
        _ = try fixture.pool.withConnection { connection in
            try connection.execute("""
                INSERT INTO webhook (id, tenant_id, url, events, secret)
                VALUES ('wh_failed', \(fixture.tenant), 'https://hooks.example.com/', '{fine_tuning.job.failed}', 'whsec_AAAA'),
                       ('wh_other', \(fixture.tenant), 'https://hooks.example.com/', '{fine_tuning.job.succeeded}', 'whsec_AAAA')
                """)
        }
        let workers = pool(fixture, nil)
        workers.start()
        defer { workers.shutdown(grace: 5) }
        #expect(try fixture.waitFor(10) { try fixture.status(job).status == "failed" })
        #expect(try fixture.status(job).error == "Training for architecture bert is not available")
        // The failure owes the webhook subscribed to it one delivery, with the job's error.
        let owed = try fixture.pool.withConnection { connection in
            try connection.query("SELECT webhook_id, payload FROM webhook_delivery WHERE job_id = \(job)")
        }
        #expect(owed.count == 1)
        #expect(try owed.first?.decode(String.self, "webhook_id") == "wh_failed")
        let payload = try JSONValue(parsing: owed.first?.decode(String.self, "payload") ?? "null")
        #expect(payload["type"] == "fine_tuning.job.failed" && payload["data"]?["error"]?["message"] == "Training for architecture bert is not available")
    }

    @Test("A validation label the training file lacks fails the job with its line number")
    func unknownValidationLabel() throws {
        let fixture = try QueueFixture()
        try fixture.pool.withConnection { connection in
            try fixture.addFile("file-valid", Array("""
                {"text": "Great.", "label": "fresh"}
                {"text": "Meh.", "label": "mixed"}
                """.utf8), connection)
        }
        let job = try fixture.addJob(validationFile: "file-valid")
        let workers = pool(fixture, StepTrainer(steps: 1, stepSeconds: 0))
        workers.start()
        defer { workers.shutdown(grace: 5) }
        #expect(try fixture.waitFor(10) { try fixture.status(job).status == "failed" })
        let error = try fixture.status(job).error ?? ""
        #expect(error.contains("line 2") && error.contains("\"mixed\""), "\(error)")
    }

    @Test("A file deleted before validation fails the job naming the file")
    func missingFile() throws {
        let fixture = try QueueFixture()
        let job = try fixture.addJob(validationFile: "file-gone")
        let workers = pool(fixture, nil)
        workers.start()
        defer { workers.shutdown(grace: 5) }
        #expect(try fixture.waitFor(10) { try fixture.status(job).status == "failed" })
        #expect(try fixture.status(job).error == "File file-gone no longer exists")
    }

    @Test("A file is checked line by line once: its report is kept, and later jobs read the report")
    func fileCheckedOnce() throws {
        let fixture = try QueueFixture()
        func report() throws -> JSONValue? {
            try fixture.pool.withConnection { connection in
                try connection.query("SELECT report::text AS report FROM file WHERE id = \(fixture.file)")[0]
                    .decode(String?.self, "report").map { try JSONValue(parsing: $0) }
            }
        }
        #expect(try report() == nil, "the fixture's file was inserted without a report, as before reports were kept")
        let workers = pool(fixture, StepTrainer(steps: 1, stepSeconds: 0))
        workers.start()
        defer { workers.shutdown(grace: 5) }
        let first = try fixture.addJob()
        #expect(try fixture.waitFor(10) { try fixture.status(first).status == "succeeded" })
        let stored = try #require(try report())
        #expect(stored["examples"] == 3 && stored["label_counts"]?["fresh"] == 2 && stored["first_lines"]?["rotten"] == 2)
        // A second job reads the kept report, not the lines: a report saying 7 examples is believed.
        _ = try fixture.pool.withConnection { connection in
            try connection.execute("UPDATE file SET report = jsonb_set(report, '{examples}', '7') WHERE id = \(fixture.file)")
        }
        let second = try fixture.addJob()
        #expect(try fixture.waitFor(10) { try fixture.status(second).status == "succeeded" })
        #expect(try fixture.events(second).contains { $0.hasPrefix("Training file \(fixture.file): 7 examples") })
    }
}
