import JSON
import Platform
import Store
import Synchronization

/// Training workers: threads that claim jobs from the queue, woken by LISTEN/NOTIFY with a
/// one-second poll as the fallback (STYLE.md section 7).
public final class WorkerPool: Sendable {
    public struct Configuration: Sendable {
        /// Worker threads (the service sets this from ANNEAL_WORKERS).
        public var workers = 1
        /// Seconds between heartbeats; cancel and pause reach a trainer within this plus one step.
        public var heartbeatInterval = 0.5
        public var pollInterval = 1.0
        /// Prefix of the worker names written to `locked_by` (host and process id by default).
        public var name = "\(Environment.hostname)-\(Environment.processID)"
        public init() {}
    }

    public let configuration: Configuration
    let store: JobStore
    let registry: TrainerRegistry
    private let databaseURL: String
    private let wakeups = ConditionLock(UInt64(0))
    private let running = ConditionLock(0)
    private let busy = Atomic<Int>(0)
    private let jobs = RunningJobs()

    public init(store: JobStore, registry: TrainerRegistry, databaseURL: String, configuration: Configuration) {
        self.store = store
        self.registry = registry
        self.databaseURL = databaseURL
        self.configuration = configuration
    }

    public var busyCount: Int { busy.load(ordering: .relaxed) }
    public var size: Int { configuration.workers }

    public func start() {
        guard configuration.workers > 0 else { return }
        running.withLock { $0 = configuration.workers }
        Thread.spawn(name: "job-listener") { [self] in listen() }
        for index in 0..<configuration.workers {
            let name = "\(configuration.name)-w\(index)"
            Thread.spawn(name: "job-worker") { [self] in
                work(as: name)
                running.withLock { $0 -= 1 }
                running.broadcast()
            }
        }
    }

    /// Stops claiming, interrupts running jobs (they go back to the queue), and waits up to `grace`
    /// seconds for the workers to release them. Returns whether all stopped in time.
    @discardableResult
    public func shutdown(grace: Double) -> Bool {
        jobs.shutdown(grace: grace)
        wake()
        return running.withLock(when: { $0 == 0 }, timeout: grace) { _, ready in ready }
    }

    /// Wakes idle workers to look for work now.
    public func wake() {
        wakeups.withLock { $0 &+= 1 }
        wakeups.broadcast()
    }

    private func listen() {
        let listener = Listener(url: databaseURL, channels: [JobStore.channel])
        while !jobs.isStopping {
            if !listener.wait(timeout: 0.5).isEmpty { wake() }
        }
    }

    private func work(as worker: String) {
        while !jobs.isStopping {
            let seen = wakeups.withLock { $0 }
            var claimed: ClaimedJob?
            do {
                claimed = try store.claim(worker: worker)
            } catch {
                Log.warn("claim failed", [("worker", .string(worker)), ("error", .string("\(error)"))])
            }
            if let job = claimed {
                busy.add(1, ordering: .relaxed)
                run(job, as: worker)
                busy.subtract(1, ordering: .relaxed)
                continue
            }
            wakeups.withLock(when: { $0 != seen || self.jobs.isStopping },
                             timeout: configuration.pollInterval) { _, _ in }
        }
    }

    private func run(_ job: ClaimedJob, as worker: String) {
        jobs.run(job, store: store, registry: registry, worker: worker, heartbeat: configuration.heartbeatInterval)
    }
}
