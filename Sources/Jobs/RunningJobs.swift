import Platform
import Synchronization
import Training

/// The jobs a process is running, and its shutdown. Workers (`WorkerPool`) and MPI gangs
/// (`GangWorker`) run each claimed job through `run`, so a shutdown interrupts every running
/// job, and any job that starts during it, with the same deadline.
final class RunningJobs: Sendable {
    /// The running jobs' contexts by id, and the shutdown's deadline (monotonic seconds) once one began.
    private let state = Mutex<(contexts: [String: JobContext], deadline: Double?)>(([:], nil))
    private let stopping = Atomic<Bool>(false)

    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Stops claiming (`isStopping`) and interrupts the running jobs: they go back to the queue,
    /// after a checkpoint when one fits in `grace` seconds.
    func shutdown(grace: Double) {
        let deadline = MonotonicClock.now + grace
        stopping.store(true, ordering: .relaxed)
        let running = state.withLock { state in
            state.deadline = deadline
            return Array(state.contexts.values)
        }
        for context in running { context.interrupt(.shutdown, deadline: deadline) }
    }

    /// Runs a claimed job to its next state (`JobRunner`) under a heartbeat every `heartbeat`
    /// seconds; `collective`: the ranks of a job trained across processes.
    func run(_ job: ClaimedJob, store: JobStore, registry: TrainerRegistry, worker: String, heartbeat: Double,
             collective: (any Collective)? = nil) {
        let context = JobContext(job: job, store: store, worker: worker, collective: collective)
        let deadline = state.withLock { state -> Double? in
            state.contexts[job.id] = context
            return state.deadline
        }
        if let deadline { context.interrupt(.shutdown, deadline: deadline) }
        context.startHeartbeat(interval: heartbeat) { job.status }
        defer {
            context.stop()
            state.withLock { $0.contexts[job.id] = nil }
        }
        var fields: [(String, Log.Value)] = [("job", .string(job.id)), ("status", .string(job.status.rawValue)), ("worker", .string(worker)),
                                             ("attempt", .int(job.attempt))]
        if let collective { fields.append(("ranks", .int(collective.size))) }
        Log.info("job claimed", fields)
        JobRunner(context: context, store: store, registry: registry, worker: worker).run()
    }
}
