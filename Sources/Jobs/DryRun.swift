import JSON
import Models
import Platform
import Store
import Training

/// `POST /v1/fine_tuning/jobs` with `"dry_run": true`: everything a job would check, without a
/// job. The files' reports and the validation file's labels, token lengths and truncation,
/// the resolved hyperparameters, and an estimate of the run's duration and memory on this
/// node: the base model is loaded and a few real optimizer steps of the job's own batches are
/// timed; evaluations are costed from the step time and checkpoints from a timed database write.
public struct DryRun: Sendable {
    let pool: ConnectionPool
    let catalog: ModelCatalog

    public init(pool: ConnectionPool, catalog: ModelCatalog) { (self.pool, self.catalog) = (pool, catalog) }

    /// Optimizer steps timed, after one warm-up step.
    static let timedSteps = 3

    /// The report. Problems with the files or settings are listed in `errors` (with line
    /// numbers where a line is at fault), not thrown; a missing file throws `JobStoreError`.
    public func run(_ job: NewJob) throws -> JSONValue {
        var result: JSONObject = ["object": "fine_tuning.job.dry_run", "model": .string(job.model),
                                  "hyperparameters": JobSpec.resolved(hyperparameters: .object(job.hyperparameters), seed: job.seed)]
        var errors: [JSONValue] = []
        func record(_ failure: JobFailure) { errors.append(["param": .optional(failure.param), "code": .string(failure.code), "message": .string(failure.message)]) }
        let files = try contents(job)
        do {
            let training = try FileValidation.report(of: job.trainingFile, param: "training_file", pool: pool, tenant: job.tenant)
            var summary: JSONObject = ["training_file": FileValidation.details(training)]
            if let id = job.validationFile {
                let validation = try FileValidation.report(of: id, param: "validation_file", pool: pool, tenant: job.tenant)
                summary["validation_file"] = FileValidation.details(validation)
                try FileValidation.check(validation, id: id, against: training)
            }
            result["files"] = .object(summary)
        } catch let failure as JobFailure {
            record(failure)
        }
        if errors.isEmpty {
            do {
                try estimate(job, files: files, into: &result)
            } catch let failure as JobFailure {
                record(failure)
            }
        }
        result["valid"] = .bool(errors.isEmpty)
        result["errors"] = .array(errors)
        if errors.isEmpty, let estimate = result["estimate"] {
            _ = try pool.withConnection { connection in
                try connection.execute("""
                    INSERT INTO fine_tuning_estimate (tenant_id, setup, estimate) VALUES (\(job.tenant), \(Self.setup(job)), \(estimate.encoded())::jsonb)
                    ON CONFLICT (tenant_id, setup) DO UPDATE SET estimate = excluded.estimate, created_at = now()
                    """)
            }
        }
        return .object(result)
    }

    /// What a run's duration depends on besides the node: the model, the files and the
    /// hyperparameters (not the seed).
    static func setup(_ job: NewJob) -> String {
        setup(model: job.model, training: job.trainingFile, validation: job.validationFile, hyperparameters: .object(job.hyperparameters))
    }

    static func setup(model: String, training: String, validation: String?, hyperparameters: JSONValue) -> String {
        Crypto.sha256Hex([model, training, validation ?? "", canonical(hyperparameters)].joined(separator: "\n"))
    }

    /// JSON with every object's keys sorted: the same for the request and for the row's jsonb.
    static func canonical(_ value: JSONValue) -> String {
        switch value {
        case .object(let object):
            return "{" + object.keys.sorted().map { JSONValue.string($0).encoded() + ":" + canonical(object[$0]!) }.joined(separator: ",") + "}"
        case .array(let items):
            return "[" + items.map(canonical).joined(separator: ",") + "]"
        default:
            return value.encoded()
        }
    }

    /// After training: an event comparing the run's duration with the latest dry run of the
    /// same setup, when there was one.
    static func compare(_ context: JobContext, seconds: Double) throws {
        let job = context.job
        let setup = Self.setup(model: job.model, training: job.trainingFile, validation: job.validationFile, hyperparameters: job.hyperparameters)
        let estimate = try context.pool.withConnection { connection in
            try connection.query("""
                SELECT (estimate ->> 'duration_seconds')::float8 AS seconds FROM fine_tuning_estimate
                WHERE tenant_id = \(job.tenantID) AND setup = \(setup)
                """).first?.decode(Double.self, "seconds")
        }
        guard let estimate, estimate > 0 else { return }
        let error = (estimate - seconds) / seconds * 100
        let resumed = job.attempt > 1 ? " (this attempt, which may have resumed from a checkpoint)" : ""
        try context.event("Training took \(Int(seconds.rounded())) s\(resumed); the dry run estimated \(Int(estimate.rounded())) s (\(error >= 0 ? "+" : "")\(Int(error.rounded()))%)",
                          data: ["duration_seconds": .double(seconds), "estimated_seconds": .double(estimate), "error_percent": .double(error)])
    }

    private func contents(_ job: NewJob) throws -> (training: [UInt8], validation: [UInt8]?) {
        guard let training = try FileValidation.content(of: job.trainingFile, pool: pool, tenant: job.tenant) else {
            throw JobStoreError.missingFile(param: "training_file", file: job.trainingFile)
        }
        guard let id = job.validationFile else { return (training, nil) }
        guard let validation = try FileValidation.content(of: id, pool: pool, tenant: job.tenant) else {
            throw JobStoreError.missingFile(param: "validation_file", file: id)
        }
        return (training, validation)
    }

    private func estimate(_ job: NewJob, files: (training: [UInt8], validation: [UInt8]?), into result: inout JSONObject) throws {
        guard let model = catalog.model(named: job.model) else {
            throw JobFailure(code: "model_not_found", message: "Base model \(job.model) is not available", param: "model")
        }
        let arguments = TrainingArguments(job.hyperparameters, seed: job.seed)
        Memory.resetPeak()
        let residentBefore = Memory.residentBytes, started = MonotonicClock.now
        let task: any TrainingTask, validationExamples: Int
        do {
            if model.architecture == "bert" {
                let (trainer, note) = try BertClassificationJob.trainer(base: try ClassificationBase.load(model), training: files.training,
                                                                        validation: files.validation, arguments: arguments,
                                                                        hyperparameters: .object(job.hyperparameters))
                if let note { result["note"] = .string(note) }
                let maxLength = trainer.arguments.maxSeqLength
                var lengths: JSONObject = ["training": .object(ClassificationDataset.lengthSummary(trainer.dataset.trainLengths, maxLength: maxLength))]
                if !trainer.dataset.validationLengths.isEmpty {
                    lengths["validation"] = .object(ClassificationDataset.lengthSummary(trainer.dataset.validationLengths, maxLength: maxLength))
                }
                result["token_lengths"] = .object(lengths)
                result["plan"] = .string(trainer.planSummary)
                (task, validationExamples) = (trainer, trainer.dataset.validationLengths.count)
            } else {
                let (trainer, note) = try CausalLMJob.trainer(base: try CausalLMBase.load(model), training: files.training,
                                                              validation: files.validation, arguments: arguments,
                                                              method: job.method["type"]?.string ?? "supervised",
                                                              hyperparameters: .object(job.hyperparameters))
                if let note { result["note"] = .string(note) }
                result["token_lengths"] = ["training": .object(trainer.lengthSummary(maxLength: trainer.arguments.maxSeqLength))]
                result["plan"] = .string(trainer.summary)
                (task, validationExamples) = (trainer, trainer.validationExamples)
            }
        } catch let failure as JobFailure {
            throw failure
        } catch {
            throw JobFailure(code: "model_unavailable", message: "Base model \(job.model) cannot be loaded: \(error)", param: "model")
        }
        let loadSeconds = MonotonicClock.now - started
        let stepSeconds = try task.calibrate(steps: Self.timedSteps)
        let schedule = task.schedule(validationExamples: validationExamples)
        let peak = max(0, Memory.peakResidentBytes - residentBefore)
        // Evaluation is a forward pass without dropout: about a third of a training step's work
        // per example (forward, backward and the update).
        let examplesPerStep = arguments.perDeviceTrainBatchSize * max(1, arguments.gradientAccumulationSteps)
        let evaluationSeconds = stepSeconds / Double(examplesPerStep) / 3 * Double(validationExamples)
        let saveSeconds = Double(schedule.checkpointBytes) / (try writeSpeed())
        let total = loadSeconds + stepSeconds * Double(schedule.totalSteps) + evaluationSeconds * Double(schedule.evaluations)
            + saveSeconds * Double(schedule.saves)
        result["estimate"] = [
            "duration_seconds": .double((total * 10).rounded() / 10),
            "seconds_per_step": .double(stepSeconds), "total_steps": .int(Int64(schedule.totalSteps)),
            "load_seconds": .double(loadSeconds),
            "evaluations": .int(Int64(schedule.evaluations)), "seconds_per_evaluation": .double(evaluationSeconds),
            "checkpoints": .int(Int64(schedule.saves)), "checkpoint_bytes": .int(Int64(schedule.checkpointBytes)),
            "seconds_per_checkpoint": .double(saveSeconds),
            "peak_memory_bytes": .int(Int64(peak)), "threads": .int(Int64(EngineThreads.count)),
            "calibrated_steps": .int(Int64(Self.timedSteps)),
        ]
    }

    /// Bytes a second this database takes a checkpoint's chunks at: 32 MiB written in 8 MiB
    /// rows to a temporary table, then rolled back.
    private func writeSpeed() throws -> Double {
        let chunk = [UInt8](repeating: 0x5a, count: 8 << 20)
        return try pool.withConnection { connection in
            try connection.executeScript("BEGIN; CREATE TEMP TABLE anneal_write_probe (data bytea) ON COMMIT DROP")
            defer { try? connection.executeScript("ROLLBACK") }
            let started = MonotonicClock.now
            for _ in 0..<4 { _ = try connection.execute("INSERT INTO anneal_write_probe (data) VALUES (\(chunk))") }
            return Double(4 * chunk.count) / max(1e-3, MonotonicClock.now - started)
        }
    }
}
