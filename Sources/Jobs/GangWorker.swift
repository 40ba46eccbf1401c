import Platform
import Store
import Training

/// What a gang of ranks needs beyond a training `Collective`: an idle wait that does not spin,
/// and an end for all of them when one rank can no longer follow the others.
public protocol GangCollective: Collective {
    /// Rank 0's text on every rank; the other ranks sleep between checks while they wait.
    func waitForBroadcast(_ text: String) -> String
    /// Ends every rank of the gang (`MPI_Abort`).
    func abort(_ code: Int32) -> Never
}

/// One job across processes (`anneal mpi-worker` under `mpirun -n N`, or an MPIJob's launcher):
/// rank 0 is a worker that claims the validated jobs asking for `nodes` = N, holds their lease,
/// and writes for them; it sends each job's id to the other ranks, which read the job, its files
/// and its checkpoint, and train their shard of every batch (`TrainingLoop` sums the gradients).
/// A shutdown (SIGTERM to rank 0) stops every rank at the same step, after a checkpoint.
public final class GangWorker: Sendable {
    let collective: any GangCollective
    let store: JobStore
    let registry: TrainerRegistry
    let name: String
    let pollInterval: Double
    private let jobs = RunningJobs()

    public init(collective: any GangCollective, databaseURL: String, lease: Double, registry: TrainerRegistry,
                name: String = "\(Environment.hostname)-\(Environment.processID)-gang", pollInterval: Double = 1) {
        self.collective = collective
        store = JobStore(pool: ConnectionPool(url: databaseURL, size: 3), lease: lease)
        self.registry = registry
        self.name = name
        self.pollInterval = pollInterval
    }

    /// Claims and trains jobs until `stop` (rank 0); returns on every rank once rank 0 stops.
    /// Rank 0 validates the files of the jobs it may train on its own, as an ordinary worker
    /// does, and sends the other ranks only the jobs to train.
    public func run() {
        while true {
            var message = "", claimed: ClaimedJob?
            if collective.rank == 0 {
                if jobs.isStopping {
                    message = "stop"
                } else {
                    do { claimed = try store.claim(worker: name, nodes: collective.size) } catch {
                        Log.warn("claim failed", [("worker", .string(name)), ("error", .string("\(error)"))])
                    }
                    if let job = claimed, job.status == .validatingFiles {
                        lead(job, collective: nil)
                    } else {
                        message = claimed?.id ?? ""
                    }
                }
            }
            let job = collective.waitForBroadcast(message)
            if job == "stop" { return }
            if job.isEmpty {
                if collective.rank == 0 && claimed == nil { sleep(seconds: pollInterval) }
                continue
            }
            train(job, claimed: claimed)
        }
    }

    /// Rank 0: stop claiming, and stop the running job at its next step with a checkpoint so that
    /// it resumes at once on another gang (within `grace` seconds).
    public func stop(grace: Double) {
        jobs.shutdown(grace: grace)
    }

    private func train(_ id: String, claimed: ClaimedJob?) {
        collective.reset()
        if let claimed {
            lead(claimed, collective: collective)
        } else {
            follow(id)
        }
        // A rank that failed before the first step tells the others, who are waiting to start.
        if !collective.joined { _ = collective.join(ready: false) }
        if collective.broken {
            Log.error("a rank left the job mid-step; ending the gang", [("job", .string(id)), ("rank", .int(collective.rank))])
            collective.abort(3)
        }
    }

    /// Rank 0: a claimed job, as an ordinary worker runs it: validation alone, training with the ranks.
    private func lead(_ job: ClaimedJob, collective: (any Collective)?) {
        jobs.run(job, store: store, registry: registry, worker: name, heartbeat: 0.5, collective: collective)
    }

    private func follow(_ id: String) {
        do {
            let job = try store.job(id: id)
            let context = JobContext(job: job, store: store, worker: name, collective: collective)
            guard let trainer = registry.trainer(for: job.architecture) else { return }
            _ = try trainer.train(context)
        } catch is StoppedByRankZero {
        } catch let interruption as JobInterruption {
            Log.info("job stopped by rank 0", [("job", .string(id)), ("reason", .string("\(interruption)"))])
        } catch {
            Log.error("rank could not train its shard", [("job", .string(id)), ("rank", .int(collective.rank)),
                                                         ("error", .string(String(reflecting: error)))])
        }
    }
}
