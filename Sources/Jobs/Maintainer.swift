import Platform
import Store

/// Leader election and the rescuer. Every process runs one; the one holding the `leader` row
/// (renewed before `ttl` runs out) requeues jobs whose leases expired and forgets idempotency
/// keys older than a day.
public final class Maintainer: Sendable {
    let store: JobStore
    let id: String
    let interval: Double
    let ttl: Double
    /// Set by `stop`; `running` is true while the thread's loop runs.
    private let control = ConditionLock<(stopping: Bool, running: Bool)>((false, false))

    public init(store: JobStore, id: String = "\(Environment.hostname)-\(Environment.processID)",
                interval: Double = 2, ttl: Double = 10) {
        self.store = store
        self.id = id
        self.interval = interval
        self.ttl = ttl
    }

    public func start() {
        control.withLock { $0.running = true }
        Thread.spawn(name: "maintainer") { [self] in
            while true {
                runOnce()
                let stopping = control.withLock(when: { $0.stopping }, timeout: interval) { state, _ in state.stopping }
                if stopping { break }
            }
            control.withLock { $0.running = false }
            control.broadcast()
        }
    }

    /// Ends the loop and waits (up to `timeout` seconds) for a round in progress to finish, so
    /// that no election runs after `stop` returns.
    public func stop(timeout: Double = 10) {
        control.withLock { $0.stopping = true }
        control.broadcast()
        control.withLock(when: { !$0.running }, timeout: timeout) { _, _ in }
    }

    /// One round: elect, and rescue when leader. Returns the rescued jobs.
    @discardableResult
    public func runOnce() -> [(id: String, status: JobStatus)] {
        do {
            guard try elect() else { return [] }
            let rescued = try store.rescueExpired()
            _ = try store.pool.withConnection { connection in
                try connection.execute("DELETE FROM idempotency_key WHERE created_at < now() - interval '24 hours'")
            }
            for job in rescued {
                Log.warn("job lease expired", [("job", .string(job.id)), ("status", .string(job.status.rawValue))])
            }
            return rescued
        } catch {
            Log.warn("maintenance failed", [("error", .string("\(error)"))])
            return []
        }
    }

    /// Takes or renews leadership; true when this process leads.
    public func elect() throws -> Bool {
        try store.pool.withConnection { connection in
            try !connection.query("""
                INSERT INTO leader (name, leader_id, expires_at) VALUES ('default', \(id), now() + make_interval(secs => \(ttl)))
                ON CONFLICT (name) DO UPDATE SET leader_id = excluded.leader_id, expires_at = excluded.expires_at,
                    elected_at = CASE WHEN leader.leader_id = excluded.leader_id THEN leader.elected_at ELSE now() END
                WHERE leader.leader_id = excluded.leader_id OR leader.expires_at < now()
                RETURNING leader_id
                """).isEmpty
        }
    }

    /// Gives up leadership at shutdown so another process takes over at once.
    public func resign() {
        stop()
        _ = try? store.pool.withConnection { connection in
            try connection.execute("DELETE FROM leader WHERE name = 'default' AND leader_id = \(id)")
        }
    }
}
