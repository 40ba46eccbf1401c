import Models
import Platform
import Store

/// The training side of a process: the worker pool over the job queue, and the maintainer
/// (leader election and the rescuer of expired leases) and the webhook deliverer, on a connection pool of their own so
/// that API load never starves a heartbeat. `anneal worker` runs this alone; `anneal serve`
/// runs it beside the HTTP API.
public final class JobWorkers: Sendable {
    public let pool: ConnectionPool
    public let store: JobStore
    /// nil with 0 workers (an API-only process still runs the maintainer).
    public let workers: WorkerPool?
    let maintainer: Maintainer
    /// Sends webhook deliveries; every process runs one, sharing the rows.
    public let webhooks: WebhookDeliverer

    /// `workers` threads training the architectures of `registry`; `lease` seconds per claim.
    public init(databaseURL: String, workers: Int, lease: Double, registry: TrainerRegistry,
                settings: WorkerPool.Configuration = WorkerPool.Configuration(), webhooks: WebhookSettings = WebhookSettings()) {
        pool = ConnectionPool(url: databaseURL, size: 2 + 2 * workers)
        store = JobStore(pool: pool, lease: lease)
        maintainer = Maintainer(store: store)
        self.webhooks = WebhookDeliverer(pool: pool, settings: webhooks)
        var settings = settings
        settings.workers = workers
        self.workers = workers > 0 ? WorkerPool(store: store, registry: registry, databaseURL: databaseURL, configuration: settings) : nil
    }

    public func start() {
        workers?.start()
        maintainer.start()
        webhooks.start()
    }

    /// Stops claiming, hands running jobs back to the queue within `grace` seconds, and resigns
    /// leadership. Returns whether every job was released in time.
    @discardableResult
    public func stop(grace: Double) -> Bool {
        let released = workers?.shutdown(grace: grace) ?? true
        maintainer.resign()
        webhooks.stop(timeout: min(grace, 15))
        return released
    }
}
