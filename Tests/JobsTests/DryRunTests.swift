import Jobs
import JSON
import Models
import Platform
import Store
import Testing
import TestSupport

/// `dry_run`: the checks and the estimate on real all-MiniLM-L6-v2, then the real job of the
/// same setup comparing its duration with the estimate.
@Suite("Dry runs", .serialized)
struct DryRunTests {
    static let hyperparameters: JSONObject = ["n_epochs": 2, "batch_size": 4, "max_seq_length": 32, "logging_steps": 4,
                                              "eval_strategy": "epoch", "save_strategy": "no"]

    static func job(_ fixture: QueueFixture, validation: String = "file-rt-validation") -> NewJob {
        NewJob(tenant: fixture.tenant, model: "all-MiniLM-L6-v2", architecture: "bert", trainingFile: "file-rt-train",
               validationFile: validation, suffix: "rt", seed: 11, metadata: nil, method: ["type": "supervised"],
               hyperparameters: hyperparameters)
    }

    @Test("A dry run checks the files, reports token lengths and truncation, and estimates the run without creating a job; the real job compares")
    func estimatesThenCompares() throws {
        #expect(Files.exists(BertClassificationJobTests.model + "/model.safetensors"), "run scripts/fetch-models")
        let fixture = try QueueFixture()
        let dryRun = DryRun(pool: fixture.pool, catalog: ModelCatalog(folder: repositoryRoot + "/models"))
        _ = try BertClassificationJobTests.addJob(fixture, .object(Self.hyperparameters))  // adds the files; the job is removed below
        _ = try fixture.pool.withConnection { try $0.execute("DELETE FROM fine_tuning_job") }

        let report = try dryRun.run(Self.job(fixture))
        #expect(report["valid"] == true && report["errors"] == [])
        // The worker's own event for these files: "tokens p50 27, p90 46, p99 58, max 58; 17 of 48 truncated at 32".
        let lengths = try #require(report["token_lengths"]?["training"])
        #expect(lengths["p50"] == 27 && lengths["max"] == 58 && lengths["truncated"] == 17 && lengths["max_seq_length"] == 32)
        let estimate = try #require(report["estimate"])
        #expect(estimate["total_steps"] == 24 && estimate["evaluations"] == 2 && estimate["checkpoints"] == 1)
        #expect((estimate["seconds_per_step"]?.double ?? 0) > 0 && (estimate["duration_seconds"]?.double ?? 0) > 0)
        #expect((estimate["peak_memory_bytes"]?.int ?? 0) > 10 << 20, "loading the base and training add tens of MB")
        #expect(report["hyperparameters"]?["max_seq_length"] == 32 && report["hyperparameters"]?["learning_rate"] == 5e-5)
        #expect(report["files"]?["training_file"]?["examples"] == 48)
        #expect(try fixture.pool.withConnection { try $0.query("SELECT id FROM fine_tuning_job").count } == 0, "a dry run creates no job")

        // A validation label the training file lacks is named with its line.
        try fixture.pool.withConnection { connection in
            try fixture.addFile("file-odd", Array(#"{"text": "Fine.", "label": "fresh"}\#n{"text": "Meh.", "label": "meh"}\#n"#.utf8), connection)
        }
        let odd = try dryRun.run(Self.job(fixture, validation: "file-odd"))
        #expect(odd["valid"] == false && odd["estimate"] == nil)
        #expect(odd["errors"]?[0]?["message"]?.string?.contains("line 2: label \"meh\"") == true && odd["errors"]?[0]?["param"] == "validation_file")
        #expect(throws: JobStoreError.missingFile(param: "validation_file", file: "file-none")) { try dryRun.run(Self.job(fixture, validation: "file-none")) }

        // The same setup for real: the job's events compare its duration with the estimate.
        let real = try BertClassificationJobTests.addJob(fixture, .object(Self.hyperparameters))
        let workers = BertClassificationJobTests.workers(fixture)
        workers.start()
        defer { workers.shutdown(grace: 5) }
        #expect(try fixture.waitFor(300) { ["succeeded", "failed"].contains(try fixture.status(real).status) })
        let comparison = try #require(try fixture.events(real).first { $0.hasPrefix("Training took") })
        #expect(comparison.contains("the dry run estimated \(Int((estimate["duration_seconds"]?.double ?? 0).rounded())) s"))
        print("dry run: \(comparison)")
    }
}
