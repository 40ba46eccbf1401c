import JSON
import Models
import Platform
import Store

/// A job as `POST /v1/fine_tuning/jobs` asks for it, checked by the API.
public struct NewJob: Sendable {
    public var tenant: String
    public var model: String
    public var architecture: String
    public var trainingFile: String
    public var validationFile: String?
    public var suffix: String?
    public var seed: Int
    public var metadata: JSONValue?
    public var method: JSONValue
    public var hyperparameters: JSONObject
    /// 1 (the default, first) to 4 (last): the order in which waiting jobs are claimed.
    public var priority: Int
    /// Processes (MPI ranks) the job trains across: 1, or a gang of `anneal mpi-worker`s.
    public var nodes: Int

    public init(tenant: String, model: String, architecture: String, trainingFile: String, validationFile: String?, suffix: String?,
                seed: Int, metadata: JSONValue?, method: JSONValue, hyperparameters: JSONObject, priority: Int = 1, nodes: Int = 1) {
        (self.tenant, self.model, self.architecture, self.trainingFile, self.validationFile) = (tenant, model, architecture, trainingFile, validationFile)
        (self.suffix, self.seed, self.metadata, self.method, self.hyperparameters, self.priority) = (suffix, seed, metadata, method, hyperparameters, priority)
        self.nodes = nodes
    }
}

/// Why a job cannot be created or changed as asked.
public enum JobStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The tenant has no file `file` (named by the request's `param`).
    case missingFile(param: String, file: String)
    /// The file was uploaded for another purpose than fine-tuning.
    case wrongPurpose(param: String, file: String, purpose: String)
    case jobNotFound(String)
    /// The action cannot start from the job's status.
    case invalidState(action: JobAction, status: JobStatus)
    /// The `Idempotency-Key` was used before for a request with another body.
    case idempotencyKeyReused(String)

    public var description: String {
        switch self {
        case .missingFile(_, let file): "File \(file) does not exist"
        case .wrongPurpose(_, let file, let purpose): "File \(file) has purpose \(purpose); upload it with purpose fine-tune"
        case .jobNotFound(let id): "No such fine-tuning job: \(id)"
        case .invalidState(let action, let status): "Cannot \(action.rawValue) a job that is \(status)"
        case .idempotencyKeyReused(let key): "Idempotency-Key \(key) was used for a different request in the last 24 hours"
        }
    }
}

extension JobStore {
    /// Inserts `job` in `validating_files` with its first events and wakes the workers; `read`
    /// runs in the same transaction (the API reads the job object back). Files must be the
    /// tenant's and uploaded for fine-tuning.
    ///
    /// With `idempotency` (the request's `Idempotency-Key` and a hash of its body), the first
    /// request creates the job and records the key in the same transaction; a later one with
    /// the key reads the job it created (`replayed` true), or fails with another body. Two at
    /// once serialize on the key's row, so the job is created exactly once.
    public func create<T>(_ job: NewJob, idempotency: (key: String, request: String)? = nil,
                          read: (Connection, _ id: String, _ replayed: Bool) throws -> T) throws -> T {
        let id = Crypto.randomID(prefix: "ftjob-")
        return try pool.transaction { connection in
            if let idempotency {
                let recorded = try connection.query("""
                    INSERT INTO idempotency_key (tenant_id, route, key, request_sha256, resource_id)
                    VALUES (\(job.tenant), 'fine_tuning.jobs.create', \(idempotency.key), \(idempotency.request), \(id))
                    ON CONFLICT (tenant_id, route, key) DO NOTHING
                    RETURNING resource_id
                    """)
                if recorded.isEmpty {
                    let earlier = try connection.query("""
                        SELECT request_sha256, resource_id FROM idempotency_key
                        WHERE tenant_id = \(job.tenant) AND route = 'fine_tuning.jobs.create' AND key = \(idempotency.key)
                        """)[0]
                    guard try earlier.decode(String.self, "request_sha256") == idempotency.request else {
                        throw JobStoreError.idempotencyKeyReused(idempotency.key)
                    }
                    return try read(connection, try earlier.decode(String.self, "resource_id"), true)
                }
            }
            for (param, file) in [("training_file", job.trainingFile), ("validation_file", job.validationFile)] {
                guard let file else { continue }
                let purpose = try connection.query("SELECT purpose FROM file WHERE id = \(file) AND tenant_id = \(job.tenant)")
                    .first?.decode(String.self, "purpose")
                guard let purpose else { throw JobStoreError.missingFile(param: param, file: file) }
                guard purpose == "fine-tune" else { throw JobStoreError.wrongPurpose(param: param, file: file, purpose: purpose) }
            }
            try connection.execute("""
                INSERT INTO fine_tuning_job (id, tenant_id, model, architecture, training_file, validation_file, suffix,
                    seed, metadata, method, hyperparameters, priority, nodes, status)
                VALUES (\(id), \(job.tenant), \(job.model), \(job.architecture), \(job.trainingFile),
                    \(job.validationFile), \(job.suffix), \(job.seed), \(job.metadata?.encoded())::jsonb,
                    \(job.method.encoded())::jsonb, \(JSONValue.object(job.hyperparameters).encoded())::jsonb, \(job.priority),
                    \(job.nodes), \(JobStatus.validatingFiles))
                """)
            try JobEvents.add(connection, job: id, message: "Created fine-tuning job: \(id)")
            try JobEvents.add(connection, job: id, message: "Validating training file: \(job.trainingFile)")
            try connection.notify(channel: JobStore.channel, payload: id)
            return try read(connection, id, false)
        }
    }

    /// Cancels, pauses or resumes the tenant's job; `read` runs in the same transaction. A
    /// running job's worker sees the new status at its next heartbeat and stops after its
    /// current step; resume puts the job back in the queue (validating again if it never was).
    public func act<T>(_ action: JobAction, job id: String, tenant: String, read: (Connection) throws -> T) throws -> T {
        try pool.transaction { connection in
            let current = try connection.query("""
                SELECT status FROM fine_tuning_job WHERE id = \(id) AND tenant_id = \(tenant) FOR UPDATE
                """).first?.decode(JobStatus.self, "status")
            guard let current else { throw JobStoreError.jobNotFound(id) }
            guard action.allowedFrom.contains(current) else { throw JobStoreError.invalidState(action: action, status: current) }
            switch action {
            case .resume:
                try connection.execute("""
                    UPDATE fine_tuning_job SET scheduled_at = now(),
                        status = CASE WHEN validated_at IS NULL THEN \(JobStatus.validatingFiles) ELSE \(JobStatus.queued) END
                    WHERE id = \(id)
                    """)
                try connection.notify(channel: JobStore.channel, payload: id)
            case .cancel, .pause:
                let target: JobStatus = action == .cancel ? .cancelled : .paused
                try connection.execute("""
                    UPDATE fine_tuning_job SET status = \(target), estimated_finish = NULL,
                        finished_at = CASE WHEN \(target.isFinished) THEN now() ELSE NULL END
                    WHERE id = \(id)
                    """)
            }
            try JobEvents.add(connection, job: id, message: action.message)
            if action == .cancel {
                try WebhookOutbox.add(connection, job: id, event: .cancelled, data: ["status": .string(JobStatus.cancelled.rawValue)])
            }
            return try read(connection)
        }
    }

    /// Starts the tenant's job `id` again as a new job: the same model, files, seed, method,
    /// hyperparameters, suffix, metadata and priority, naming the job it repeats. `read` runs in
    /// the same transaction.
    public func rerun<T>(job id: String, tenant: String, read: (Connection, _ id: String) throws -> T) throws -> T {
        let new = Crypto.randomID(prefix: "ftjob-")
        return try pool.transaction { connection in
            guard let file = try connection.query("""
                INSERT INTO fine_tuning_job (id, tenant_id, model, architecture, training_file, validation_file, suffix,
                    seed, metadata, method, hyperparameters, priority, nodes, status, rerun_of)
                SELECT \(new), tenant_id, model, architecture, training_file, validation_file, suffix,
                    seed, metadata, method, hyperparameters, priority, nodes, \(JobStatus.validatingFiles), id
                FROM fine_tuning_job WHERE id = \(id) AND tenant_id = \(tenant)
                RETURNING training_file
                """).first?.decode(String.self, "training_file") else { throw JobStoreError.jobNotFound(id) }
            try JobEvents.add(connection, job: new, message: "Created fine-tuning job: \(new), a rerun of \(id)")
            try JobEvents.add(connection, job: new, message: "Validating training file: \(file)")
            try connection.notify(channel: JobStore.channel, payload: new)
            return try read(connection, new)
        }
    }

    /// Validation passed: the job joins the queue for training, unlocked, and the workers are
    /// woken. False when it was cancelled or paused meanwhile (it keeps that status).
    public func validated(job: String, worker: String) throws -> Bool {
        try pool.transaction { connection in
            guard let nodes = try connection.query("""
                UPDATE fine_tuning_job SET status = \(JobStatus.queued), validated_at = now(), locked_by = NULL,
                    lease_expires_at = NULL, heartbeat_at = NULL
                WHERE id = \(job) AND locked_by = \(worker) AND status = \(JobStatus.validatingFiles)
                RETURNING nodes
                """).first?.decode(Int.self, "nodes") else { return false }
            try JobEvents.add(connection, job: job, message: nodes == 1 ? "Files validated; job queued"
                : "Files validated; job queued for a gang of \(nodes) MPI ranks (mpirun -n \(nodes) anneal mpi-worker)")
            try connection.notify(channel: JobStore.channel, payload: job)
            return true
        }
    }

    /// Training finished: `succeeded`, unlocked, and its fine-tuned model registered with its
    /// manifest, in one transaction. False when the job was cancelled meanwhile.
    public func succeed(job: ClaimedJob, worker: String, result: TrainingResult) throws -> Bool {
        let files = JSONValue.array(result.resultFiles.map(JSONValue.string)).encoded()
        let model = job.fineTunedModel
        return try pool.transaction { connection in
            guard try connection.execute("""
                UPDATE fine_tuning_job SET status = \(JobStatus.succeeded), finished_at = now(), fine_tuned_model = \(model),
                    trained_tokens = \(result.trainedTokens), result_files = \(files)::jsonb, estimated_finish = NULL,
                    locked_by = NULL, lease_expires_at = NULL, heartbeat_at = NULL
                WHERE id = \(job.id) AND locked_by = \(worker) AND status = \(JobStatus.running)
                """) == 1 else { return false }
            try connection.execute("""
                INSERT INTO model (id, tenant_id, base_model, job_id, checkpoint_id, manifest)
                VALUES (\(model), \(job.tenantID), \(job.model), \(job.id), \(result.checkpoint), \(result.manifest.json.encoded())::jsonb)
                ON CONFLICT (id) DO NOTHING
                """)
            try JobEvents.add(connection, job: job.id, message: "New fine-tuned model created: \(model)")
            try JobEvents.add(connection, job: job.id, message: "The job has successfully completed")
            try WebhookOutbox.add(connection, job: job.id, event: .succeeded,
                                  data: ["status": .string(JobStatus.succeeded.rawValue), "fine_tuned_model": .string(model)])
            return true
        }
    }

    /// The job failed for good: `failed` with the user-facing error and the attempt's error
    /// recorded, and an event. False when `worker` no longer holds it or it is finished.
    public func fail(job: String, worker: String, failure: JobFailure) throws -> Bool {
        try pool.transaction { connection in
            guard try connection.execute("""
                UPDATE fine_tuning_job SET status = \(JobStatus.failed), finished_at = now(), error = \(failure.json.encoded())::jsonb,
                    errors = errors || jsonb_build_object('attempt', attempt, 'at', now(), 'error', \(failure.message)::text),
                    estimated_finish = NULL, locked_by = NULL, lease_expires_at = NULL, heartbeat_at = NULL
                WHERE id = \(job) AND locked_by = \(worker) AND status IN ('validating_files', 'running')
                """) == 1 else { return false }
            try JobEvents.add(connection, job: job, level: "error", message: "Job failed: \(failure.message)")
            try WebhookOutbox.add(connection, job: job, event: .failed, data: ["status": .string(JobStatus.failed.rawValue), "error": failure.json])
            return true
        }
    }
}
