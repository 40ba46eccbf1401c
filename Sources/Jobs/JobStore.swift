import JSON
import Platform
import Store

/// The fine-tuning job table, which is also the queue (after River), and the one owner of every
/// change of a job's status: created, claimed, validated, running, paused, resumed, cancelled,
/// succeeded (with its model), failed, handed back, rescued. Routes and workers call it; nothing
/// else writes a job's status. Claims take the next claimable job with `FOR UPDATE SKIP LOCKED`
/// in (priority, scheduled_at, id) order through a partial index; a claim is a lease that
/// heartbeats extend.
public struct JobStore: Sendable {
    /// Workers are woken on this channel when a job becomes claimable.
    public static let channel = "anneal_job_available"

    public let pool: ConnectionPool
    /// Seconds a claim lasts without a heartbeat.
    public var lease: Double

    public init(pool: ConnectionPool, lease: Double = 30) {
        self.pool = pool
        self.lease = lease
    }

    /// The claim statement (also for tests that check its plan): `validating_files` jobs stay in
    /// that status, `queued` ones become `running` and count an attempt. The claimable statuses
    /// are written out as literals (`JobStatus.claimable`): the planner matches them against the
    /// partial index's predicate only as constants.
    /// `nodes` 1 is an ordinary worker: it validates every job's files and trains one-process
    /// jobs; a larger `nodes` is rank 0 of an MPI gang of that size: it validates and trains the
    /// jobs that ask for that many processes.
    public func claimQuery(worker: String, nodes: Int = 1) -> Query {
        """
        WITH next AS (
            SELECT id AS next_id FROM fine_tuning_job
            WHERE status IN ('validating_files', 'queued') AND locked_by IS NULL AND scheduled_at <= now()
                AND CASE WHEN \(nodes) = 1 THEN nodes = 1 OR status = 'validating_files' ELSE nodes = \(nodes) END
            ORDER BY priority, scheduled_at, id
            LIMIT 1
            FOR UPDATE SKIP LOCKED)
        UPDATE fine_tuning_job j SET
            locked_by = \(worker),
            lease_expires_at = now() + make_interval(secs => \(lease)),
            heartbeat_at = now(),
            attempted_at = now(),
            attempt = CASE WHEN j.status = \(JobStatus.queued) THEN j.attempt + 1 ELSE j.attempt END,
            status = CASE WHEN j.status = \(JobStatus.queued) THEN \(JobStatus.running) ELSE j.status END
        FROM next WHERE j.id = next.next_id
        RETURNING \(ClaimedJob.columns)
        """
    }

    /// Claims the next claimable job for `worker`.
    public func claim(worker: String, nodes: Int = 1) throws -> ClaimedJob? {
        try pool.withConnection { connection in try connection.query(claimQuery(worker: worker, nodes: nodes)).first.map(ClaimedJob.init(row:)) }
    }

    /// A job as the worker holding it sees it (the other ranks of a gang read their rank 0's job).
    public func job(id: String) throws -> ClaimedJob {
        guard let row = try pool.withConnection({ try $0.query("SELECT \(ClaimedJob.columns) FROM fine_tuning_job WHERE id = \(id)").first }) else {
            throw JobFailure(code: "job_not_found", message: "Job \(id) does not exist")
        }
        return try ClaimedJob(row: row)
    }

    /// Extends the lease; returns the job's status, or nil when `worker` no longer holds it.
    public func heartbeat(job: String, worker: String) throws -> JobStatus? {
        try pool.withConnection { connection in
            try connection.query("""
                UPDATE fine_tuning_job SET heartbeat_at = now(), lease_expires_at = now() + make_interval(secs => \(lease))
                WHERE id = \(job) AND locked_by = \(worker)
                RETURNING status
                """).first?.decode(JobStatus.self, "status")
        }
    }

    /// Gives the job up without finishing it. `requeue` puts a running job back to `queued`
    /// (shutdown); otherwise it keeps the status the API gave it (cancelled, paused).
    /// `refundAttempt` uncounts the attempt: a shutdown or a pause is not the job's failure.
    /// A requeued job waits `delaySeconds` before a worker may claim it again.
    public func release(job: String, worker: String, requeue: Bool, refundAttempt: Bool, delaySeconds: Int = 0) throws {
        try pool.withConnection { connection in
            try connection.execute("""
                UPDATE fine_tuning_job SET locked_by = NULL, lease_expires_at = NULL, heartbeat_at = NULL,
                    status = CASE WHEN \(requeue) AND status = \(JobStatus.running) THEN \(JobStatus.queued) ELSE status END,
                    scheduled_at = CASE WHEN \(requeue) AND \(delaySeconds) > 0 THEN now() + make_interval(secs => \(delaySeconds)) ELSE scheduled_at END,
                    attempt = CASE WHEN \(refundAttempt) THEN greatest(attempt - 1, 0) ELSE attempt END
                WHERE id = \(job) AND locked_by = \(worker)
                """)
            if requeue { try connection.notify(channel: JobStore.channel, payload: job) }
        }
    }

    /// Requeues jobs whose lease expired (their worker died), or fails them after `max_attempts`.
    /// A job that was validating counts the lost validation as an attempt too, so a file that
    /// crashes workers cannot loop forever. Returns (id, new status) for each; writes an event for each.
    public func rescueExpired() throws -> [(id: String, status: JobStatus)] {
        try pool.transaction { connection in
            let rows = try connection.query("""
                WITH expired AS (
                    SELECT id, locked_by, attempt + CASE WHEN status = 'validating_files' THEN 1 ELSE 0 END AS used,
                        CASE
                            WHEN status IN ('cancelled', 'paused') THEN status
                            WHEN attempt + CASE WHEN status = 'validating_files' THEN 1 ELSE 0 END >= max_attempts THEN 'failed'
                            WHEN status = 'validating_files' THEN 'validating_files'
                            ELSE 'queued' END AS new_status
                    FROM fine_tuning_job
                    WHERE locked_by IS NOT NULL AND lease_expires_at < now()
                    FOR UPDATE SKIP LOCKED)
                UPDATE fine_tuning_job j SET
                    status = e.new_status,
                    attempt = e.used,
                    error = CASE WHEN e.new_status = 'failed' THEN jsonb_build_object('code', 'worker_lost', 'param', NULL,
                        'message', 'The job''s worker stopped responding ' || e.used || ' times; giving up.') ELSE j.error END,
                    finished_at = CASE WHEN e.new_status = 'failed' THEN now() ELSE j.finished_at END,
                    errors = j.errors || jsonb_build_object('attempt', e.used, 'at', now(),
                        'error', 'lease expired: worker ' || e.locked_by || ' stopped heartbeating'),
                    locked_by = NULL, lease_expires_at = NULL, heartbeat_at = NULL, estimated_finish = NULL
                FROM expired e WHERE j.id = e.id
                RETURNING j.id, j.status, j.attempt
                """)
            var rescued: [(id: String, status: JobStatus)] = []
            for row in rows {
                let id = try row.decode(String.self, "id")
                let status = try row.decode(JobStatus.self, "status")
                let attempt = try row.decode(Int.self, "attempt")
                let message = status == .failed
                    ? "Worker lost on attempt \(attempt); no attempts left, job failed"
                    : "Worker lost on attempt \(attempt); job requeued"
                try JobEvents.add(connection, job: id, level: status == .failed ? "error" : "warn", message: message)
                if status == .failed {
                    try WebhookOutbox.add(connection, job: id, event: .failed, data: ["status": .string(status.rawValue),
                        "error": ["code": "worker_lost", "param": .null, "message": .string(message)]])
                }
                rescued.append((id, status))
            }
            if rescued.contains(where: { $0.status != .failed }) {
                try connection.notify(channel: JobStore.channel, payload: "rescued")
            }
            return rescued
        }
    }
}
