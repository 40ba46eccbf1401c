import Models
import Platform
import Store

/// The training side of a process: the worker pool over the job queue, and the maintainer
/// (leader election and the rescuer of expired leases), on a connection pool of their own so
/// that API load never starves a heartbeat. `anneal worker` runs this alone; `anneal serve`
/// runs it beside the HTTP API.
public final class JobWorkers: Sendable {
    public let pool: ConnectionPool
    public let store: JobStore
    /// nil with 0 workers (an API-only process still runs the maintainer).
    public let workers: WorkerPool?
    let maintainer: Maintainer

    /// `workers` threads training the architectures of `registry`; `lease` seconds per claim.
    public init(databaseURL: String, workers: Int, lease: Double, registry: TrainerRegistry,
                settings: WorkerPool.Configuration = WorkerPool.Configuration()) {
        pool = ConnectionPool(url: databaseURL, size: 2 + 2 * workers)
        store = JobStore(pool: pool, lease: lease)
        maintainer = Maintainer(store: store)
        var settings = settings
        settings.workers = workers
        self.workers = workers > 0 ? WorkerPool(store: store, registry: registry, databaseURL: databaseURL, configuration: settings) : nil
    }

    public func start() {
        workers?.start()
        maintainer.start()
    }

    /// Stops claiming, hands running jobs back to the queue within `grace` seconds, and resigns
    /// leadership. Returns whether every job was released in time.
    @discardableResult
    public func stop(grace: Double) -> Bool {
        let released = workers?.shutdown(grace: grace) ?? true
        maintainer.resign()
        return released
    }
}
