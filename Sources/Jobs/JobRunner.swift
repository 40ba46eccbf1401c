import JSON
import Models
import Platform
import Store
import Training

/// Runs one claimed job to its next state: validation then back to the queue, or training then
/// `succeeded`/`failed`, or hands it back when interrupted. Every state change writes an event.
struct JobRunner {
    let context: JobContext
    let store: JobStore
    let registry: TrainerRegistry
    let worker: String

    var job: ClaimedJob { context.job }
    /// Only training claims count an attempt; validation claims do not.
    var countedAttempt: Bool { job.status == .running }

    func run() {
        do {
            if job.status == .validatingFiles {
                try FileValidation.run(context)
                try context.throwIfInterrupted()
                // Cancelled or paused meanwhile: keep that status, let go of the job.
                if try !store.validated(job: job.id, worker: worker) {
                    try store.release(job: job.id, worker: worker, requeue: false, refundAttempt: false)
                }
                return
            }
            try context.event("Fine-tuning job started (attempt \(job.attempt) of \(job.maxAttempts))")
            guard let trainer = registry.trainer(for: job.architecture) else {
                throw JobFailure(code: "unsupported_architecture",
                                 message: "Training for architecture \(job.architecture) is not available", param: "model")
            }
            try Reproducibility.record(context, base: registry.catalog?.model(named: job.model))
            let started = MonotonicClock.now
            let result = try trainer.train(context)
            try context.throwIfInterrupted()
            try DryRun.compare(context, seconds: MonotonicClock.now - started)
            try finish(result)
        } catch let interruption as JobInterruption {
            handle(interruption)
        } catch let failure as JobFailure {
            fail(failure)
        } catch let error as StoreError where error.isTransient {
            retryLater(error.isDiskFull ? "the database ran out of disk space" : "the database could not be reached",
                       code: error.isDiskFull ? "insufficient_storage" : "database_unavailable", error: error)
        } catch let error as RankNotReady {
            retryLater("\(error)", code: "gang_rank_failed", error: error)
        } catch {
            Log.error("job error", [("job", .string(job.id)), ("error", .string(String(reflecting: error)))])
            fail(JobFailure(code: "internal_error", message: "The job stopped on an internal error: \(error)"))
        }
    }

    private func finish(_ result: TrainingResult) throws {
        guard try store.succeed(job: job, worker: worker, result: result) else {
            try store.release(job: job.id, worker: worker, requeue: false, refundAttempt: false)
            return
        }
        Log.info("job succeeded", [("job", .string(job.id)), ("model", .string(job.fineTunedModel))])
    }

    private func fail(_ failure: JobFailure) {
        Log.warn("job failed", [("job", .string(job.id)), ("code", .string(failure.code)), ("error", .string(failure.message))])
        do {
            _ = try store.fail(job: job.id, worker: worker, failure: failure)
        } catch {
            // The lease will expire and the rescuer will retry or fail the job.
            Log.error("could not record job failure", [("job", .string(job.id)), ("error", .string("\(error)"))])
        }
    }

    /// The database is down or out of disk: not the job's fault. The attempt ends and the job goes
    /// back to the queue, to resume from its last checkpoint (which the failed write left intact),
    /// or fails with the reason after its last attempt.
    /// The same for a gang whose other rank could not start the job.
    private func retryLater(_ reason: String, code: String, error: any Error) {
        Log.warn("job attempt ended", [("job", .string(job.id)), ("error", .string(String(reflecting: error)))])
        if countedAttempt && job.attempt >= job.maxAttempts {
            fail(JobFailure(code: code,
                            message: "Attempt \(job.attempt) of \(job.maxAttempts) ended because \(reason); its last checkpoint is kept"))
            return
        }
        do {
            let delay = JobRunner.retryDelay(afterAttempt: job.attempt)
            try store.release(job: job.id, worker: worker, requeue: true, refundAttempt: false, delaySeconds: delay)
            try context.event("Attempt \(job.attempt) ended because \(reason); the job is queued to resume from its last checkpoint in \(delay) s", level: "warn")
        } catch {
            // Still unreachable: the lease expires and the rescuer requeues the job.
            Log.warn("could not requeue job", [("job", .string(job.id)), ("error", .string("\(error)"))])
        }
    }

    /// Seconds a job waits after a database fault before its next attempt: 10, 40, 160, then
    /// 600 at most, so a full disk or a restarting database has time to come back instead of
    /// using up the attempts within seconds.
    static func retryDelay(afterAttempt attempt: Int) -> Int {
        var delay = 10
        for _ in 1..<max(attempt, 1) where delay < 600 { delay *= 4 }
        return min(delay, 600)
    }

    private func handle(_ interruption: JobInterruption) {
        Log.info("job interrupted", [("job", .string(job.id)), ("reason", .string("\(interruption)"))])
        do {
            switch interruption {
            case .leaseLost:
                return
            case .statusChanged(let status):
                // Paused (or paused and already resumed): not the job's failure, so not an attempt.
                try store.release(job: job.id, worker: worker, requeue: false, refundAttempt: countedAttempt && status != .cancelled)
            case .shutdown:
                try store.release(job: job.id, worker: worker, requeue: true, refundAttempt: countedAttempt)
                try context.event("Worker shutting down; job returned to the queue", level: "warn")
            }
        } catch {
            Log.error("could not release job", [("job", .string(job.id)), ("error", .string("\(error)"))])
        }
    }
}
