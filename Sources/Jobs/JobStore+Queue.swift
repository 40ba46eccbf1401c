import Store

/// What autoscalers and alerts read off the queue: `/metrics` shows it, and KEDA's `postgresql`
/// trigger (k8s/components/keda) runs `workersWantedQuery` to size the worker Deployment.
public struct QueueState: Sendable, Equatable {
    /// Seconds since the longest-waiting runnable job became due; 0 when none waits.
    public var oldestAge: Double
    /// Claimed jobs whose lease ran out: their worker died and the rescuer has yet to requeue them.
    public var expiredLeases: Int
    /// Jobs that need a worker now: runnable ones plus claimed ones (in training, or with an expired lease).
    public var workersWanted: Int
}

extension JobStore {
    /// KEDA's trigger query, the same text as in k8s/components/keda/worker-scaledobject.yaml (a
    /// test holds them equal). Each half reads one partial index: the claim's
    /// (`fine_tuning_job_claimable`) and the lease's (`fine_tuning_job_lease`), so its cost follows
    /// the live jobs, not the finished ones.
    public static let workersWantedQuery: Query = """
        SELECT (SELECT count(*) FROM fine_tuning_job
                WHERE status IN ('validating_files', 'queued') AND locked_by IS NULL AND scheduled_at <= now()
                  AND (nodes = 1 OR status = 'validating_files'))
             + (SELECT count(*) FROM fine_tuning_job WHERE locked_by IS NOT NULL AND (nodes = 1 OR status = 'validating_files'))
        """

    public static func queueState(_ connection: Connection) throws -> QueueState {
        let row = try connection.query("""
            SELECT
                (SELECT coalesce(extract(epoch FROM now() - min(scheduled_at)), 0)::float8 FROM fine_tuning_job
                 WHERE status IN ('validating_files', 'queued') AND locked_by IS NULL AND scheduled_at <= now()) AS oldest_age,
                (SELECT count(*) FROM fine_tuning_job WHERE locked_by IS NOT NULL AND lease_expires_at < now()) AS expired,
                (\(workersWantedQuery)) AS wanted
            """).first!
        return QueueState(oldestAge: try row.decode(Double.self, "oldest_age"), expiredLeases: try row.decode(Int.self, "expired"),
                          workersWanted: try row.decode(Int.self, "wanted"))
    }
}
