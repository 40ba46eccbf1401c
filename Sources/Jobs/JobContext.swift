import JSON
import Platform
import Store
import Synchronization
import Training

/// What a trainer gets: the job, its store, progress reporting, and `throwIfInterrupted()`, which throws
/// `JobInterruption` as soon as the job was cancelled or paused, its lease was lost, or the
/// worker is shutting down. A heartbeat thread keeps the lease and learns the job's status.
public final class JobContext: Sendable {
    public let job: ClaimedJob
    public let pool: ConnectionPool
    let store: JobStore
    let worker: String
    private let interruption = Mutex<JobInterruption?>(nil)
    /// When a shutdown must be done (monotonic seconds), and how fast this job's checkpoints
    /// were written (bytes a second; nil until one was).
    private let shutdown = Mutex<(deadline: Double?, saveRate: Double?)>((nil, nil))
    private let finished = Atomic<Bool>(false)
    /// When this attempt started, the step it started from (a resumed job starts mid-run), and
    /// the last progress write.
    private let progressState = Mutex<(startedAt: Double, firstStep: Int?, lastWrite: Double)>((0, nil, 0))

    /// The ranks of a job trained across processes (`anneal mpi-worker`); nil in one process.
    let collective: (any Collective)?
    /// A rank other than 0 of such a job: it trains its shard and writes nothing (no events,
    /// progress, metrics or checkpoints); rank 0 holds the lease and writes for the job.
    var isFollower: Bool { (collective?.rank ?? 0) != 0 }

    init(job: ClaimedJob, store: JobStore, worker: String, collective: (any Collective)? = nil) {
        self.job = job
        self.pool = store.pool
        self.store = store
        self.worker = worker
        self.collective = collective
        progressState.withLock { $0.startedAt = MonotonicClock.now }
    }

    /// Throws if the job must stop; call between steps.
    public func throwIfInterrupted() throws(JobInterruption) {
        if let reason = interruption.withLock({ $0 }) { throw reason }
    }

    /// The worker is shutting down: the job goes back to the queue and resumes elsewhere, so
    /// the trainer saves a checkpoint before it stops when one fits in the grace period.
    var isShuttingDown: Bool { interruption.withLock { $0 } == .shutdown }

    /// Whether a checkpoint of `bytes` can be written, at twice the time this job's last one
    /// took (50 MB/s before any), before the shutdown's deadline.
    func canSave(bytes: Int) -> Bool {
        let (deadline, rate) = shutdown.withLock { $0 }
        guard let deadline else { return true }
        return 2 * Double(bytes) / (rate ?? 50e6) < deadline - MonotonicClock.now
    }

    /// A checkpoint of `bytes` took `seconds` to write.
    func recordSave(bytes: Int, seconds: Double) {
        guard seconds > 0 else { return }
        shutdown.withLock { $0.saveRate = Double(bytes) / seconds }
    }

    /// Stops the trainer at its next check; `deadline`: a shutdown's end (monotonic seconds).
    func interrupt(_ reason: JobInterruption, deadline: Double? = nil) {
        interruption.withLock { current in
            if current == nil { current = reason }
        }
        if let deadline { shutdown.withLock { $0.deadline = deadline } }
    }

    /// Records progress and, from the measured pace, the estimated finish time. Written at most
    /// twice a second, and always for the last step.
    public func reportProgress(step: Int, totalSteps: Int, epoch: Double, trainedTokens: Int? = nil) throws {
        guard !isFollower else { return }
        let now = MonotonicClock.now
        let (startedAt, firstStep, shouldWrite) = progressState.withLock { state -> (Double, Int, Bool) in
            if state.firstStep == nil { state.firstStep = step - 1 }
            let write = step >= totalSteps || now - state.lastWrite >= 0.5
            if write { state.lastWrite = now }
            return (state.startedAt, state.firstStep!, write)
        }
        guard shouldWrite else { return }
        let percent = totalSteps > 0 ? (Double(step) / Double(totalSteps) * 1000).rounded() / 10 : 0
        let progress: JSONValue = ["step": .int(Int64(step)), "total_steps": .int(Int64(totalSteps)),
                                   "epoch": .double(epoch), "percent": .double(percent)]
        let done = step - firstStep
        let secondsLeft = done > 0 ? (now - startedAt) / Double(done) * Double(totalSteps - step) : nil
        _ = try pool.withConnection { connection in
            try connection.execute("""
                UPDATE fine_tuning_job SET progress = \(progress.encoded())::jsonb,
                    trained_tokens = coalesce(\(trainedTokens)::bigint, trained_tokens),
                    estimated_finish = now() + make_interval(secs => \(secondsLeft))
                WHERE id = \(job.id) AND locked_by = \(worker)
                """)
        }
    }

    /// Adds an event to the job's log.
    public func event(_ message: String, level: String = "info", type: String = "message", data: JSONValue? = nil) throws {
        guard !isFollower else { return }
        _ = try pool.withConnection { connection in
            try JobEvents.add(connection, job: job.id, level: level, message: message, type: type, data: data)
        }
    }

    /// Runs heartbeats every `interval` seconds until `stop()`; a status other than the one the
    /// worker set, or a lost lease, interrupts the trainer at its next `throwIfInterrupted()`.
    func startHeartbeat(interval: Double, expected: @escaping @Sendable () -> JobStatus) {
        Thread.spawn(name: "job-heartbeat") { [self] in
            var landed = MonotonicClock.now  // when the lease was last extended
            while !finished.load(ordering: .relaxed) {
                sleep(seconds: interval)
                if finished.load(ordering: .relaxed) { return }
                do {
                    let started = MonotonicClock.now
                    guard let status = try store.heartbeat(job: job.id, worker: worker) else {
                        interrupt(.leaseLost)
                        return
                    }
                    // A lease that went a third of its length unextended is near being rescued
                    // from a live worker: say how long, and how much of it the update itself took.
                    let now = MonotonicClock.now
                    if now - landed > store.lease / 3 {
                        Log.warn("heartbeat late", [("job", .string(job.id)), ("seconds_since_last", .double(now - landed)),
                                                    ("update_seconds", .double(now - started)), ("lease_seconds", .double(store.lease))])
                    }
                    landed = now
                    if status != expected() { interrupt(.statusChanged(status)) }
                } catch {
                    Log.warn("heartbeat failed", [("job", .string(job.id)), ("error", .string("\(error)"))])
                }
            }
        }
    }

    func stop() { finished.store(true, ordering: .relaxed) }
}
