import HTTP
import Inference
import JSON
import Jobs
import Platform
import Store

/// `/healthz` (the process answers), `/readyz` (the database answers and is migrated) and
/// `/metrics` (Prometheus text). None needs a key.
struct HealthRoutes {
    let pool: ConnectionPool
    let metrics: RequestMetrics
    let generation: GenerationMetrics
    let workers: WorkerPool?
    let inference: ConcurrencyLimit

    func add(to routes: inout RouteTable) {
        let probe = RouteOptions(inline: true, bodyLimit: 0, authenticated: false, logAtDebug: true)
        routes.add("GET", "/healthz", probe) { _, _ in HealthRoutes.ok }
        routes.add("GET", "/readyz", RouteOptions(bodyLimit: 0, authenticated: false, logAtDebug: true)) { _, _ in try ready() }
        routes.add("GET", "/metrics", RouteOptions(bodyLimit: 0, authenticated: false, logAtDebug: true)) { _, _ in
            .text(render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    static let ok = HTTPResponse.json(["status": "ok"])

    func ready() throws -> HTTPResponse {
        let latest = embeddedMigrations.map(\.version).max() ?? 0
        let applied: Int
        do {
            applied = try pool.withConnection { try Migrator.appliedVersions($0).max() ?? 0 }
        } catch {
            var response = HTTPResponse.json(["status": "unavailable", "reason": "database unreachable"], status: .serviceUnavailable)
            response.headers.set("Retry-After", "1")
            return response
        }
        guard applied >= latest else {
            return .json(["status": "unavailable", "reason": .string("database at migration \(applied), need \(latest)")],
                         status: .serviceUnavailable)
        }
        return .json(["status": "ready", "migration": .int(Int64(applied))])
    }

    func render() -> String {
        var out = metrics.render() + generation.render() + inference.render()
        out += "# HELP anneal_log_lines_dropped_total Log lines dropped because standard output's reader was too slow.\n"
        out += "# TYPE anneal_log_lines_dropped_total counter\nanneal_log_lines_dropped_total \(Log.dropped)\n"
        let counts = try? pool.withConnection { connection in
            try connection.query("""
                SELECT status, count(*) AS jobs,
                    count(*) FILTER (WHERE status = ANY(\(JobStatus.claimableNames)) AND locked_by IS NULL) AS waiting
                FROM fine_tuning_job GROUP BY status
                """).map { (try $0.decode(String.self, "status"), try $0.decode(Int.self, "jobs"), try $0.decode(Int.self, "waiting")) }
        }
        out += "# HELP anneal_database_up Whether the last scrape reached PostgreSQL.\n# TYPE anneal_database_up gauge\n"
        out += "anneal_database_up \(counts == nil ? 0 : 1)\n"
        if let counts {
            out += "# HELP anneal_jobs Fine-tuning jobs by status.\n# TYPE anneal_jobs gauge\n"
            for status in JobStatus.allCases {
                let count = counts.first { $0.0 == status.rawValue }?.1 ?? 0
                out += "anneal_jobs{status=\"\(status)\"} \(count)\n"
            }
            out += "# HELP anneal_queue_depth Jobs waiting for a worker.\n# TYPE anneal_queue_depth gauge\n"
            out += "anneal_queue_depth \(counts.reduce(0) { $0 + $1.2 })\n"
        }
        if let queue = try? pool.withConnection({ try JobStore.queueState($0) }) {
            let gauges: [(name: String, help: String, value: String)] = [
                ("anneal_queue_oldest_age_seconds", "How long the longest-waiting runnable job has been due (0 when none is).", "\(queue.oldestAge)"),
                ("anneal_leases_expired", "Claimed jobs whose worker stopped heartbeating; the rescuer requeues them.", "\(queue.expiredLeases)"),
                ("anneal_workers_wanted", "Jobs that need a worker now: runnable plus claimed (the KEDA trigger's query).", "\(queue.workersWanted)"),
            ]
            for gauge in gauges { out += "# HELP \(gauge.name) \(gauge.help)\n# TYPE \(gauge.name) gauge\n\(gauge.name) \(gauge.value)\n" }
        }
        if let workers {
            let busy = workers.busyCount
            out += "# HELP anneal_workers Training workers in this process by state.\n# TYPE anneal_workers gauge\n"
            out += "anneal_workers{state=\"busy\"} \(busy)\nanneal_workers{state=\"idle\"} \(workers.size - busy)\n"
        }
        return out
    }
}
