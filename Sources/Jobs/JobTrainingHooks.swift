import JSON
import Models
import Platform
import Store
import Training

/// The trainer's hooks over a claimed job: stops through `JobContext.throwIfInterrupted()` (with a
/// checkpoint first on shutdown), progress
/// after every step, metrics into the metrics table (and as events), checkpoints into the
/// `CheckpointStore` under this worker's lease.
struct JobTrainingHooks: TrainingHooks {
    let context: JobContext
    let store: CheckpointStore

    init(context: JobContext) {
        self.context = context
        store = CheckpointStore(pool: context.pool)
    }

    func shouldStop() throws { try context.throwIfInterrupted() }

    /// A shutdown (SIGTERM: a rolling deploy, a drained node) keeps the steps since the last
    /// checkpoint when the save fits in the grace period; a cancel, a pause or a lost lease does
    /// not need them.
    func savesBeforeStopping(checkpointBytes: Int) -> Bool {
        context.isShuttingDown && context.canSave(bytes: checkpointBytes)
    }

    func progress(step: Int, totalSteps: Int, epoch: Double, trainedTokens: Int) throws {
        try context.reportProgress(step: step, totalSteps: totalSteps, epoch: epoch, trainedTokens: trainedTokens)
    }

    var collective: (any Collective)? { context.collective }

    func metrics(kind: String, step: Int, epoch: Double, values: JSONObject) throws {
        guard !context.isFollower else { return }
        let kind: JobMetrics.Kind = kind == "eval" ? .eval : .train
        try context.pool.transaction { connection in
            try JobMetrics.record(connection, job: context.job.id, kind: kind, step: step, epoch: epoch, values: values)
        }
    }

    func saveCheckpoint(step: Int, epoch: Double, metrics: JSONValue, state: JSONValue,
                        parts: [(name: String, bytes: [UInt8])], isBest: Bool, keep: Int?) throws -> String {
        guard !context.isFollower else { return "" }  // rank 0's id comes through the collective
        let job = context.job.id, started = MonotonicClock.now
        let id = Crypto.randomID(prefix: "ftckpt-")
        let checkpoint: JSONObject = ["id": .string(id), "step": .int(Int64(step)), "epoch": .double(epoch), "metrics": metrics,
                                      "fine_tuned_model_checkpoint": .string(context.job.fineTunedModel + ":ckpt-step-\(step)")]
        do {
            // The event and its webhook delivery commit with the checkpoint, or not at all.
            try store.save(id: id, job: job, worker: context.worker, model: context.job.fineTunedModel, step: step, epoch: epoch,
                           metrics: metrics, state: state, parts: parts) { connection in
                try JobEvents.add(connection, job: job, message: "Checkpoint saved at step \(step): \(id)", data: .object(checkpoint))
                try WebhookOutbox.add(connection, job: job, event: .checkpointCreated, data: ["checkpoint": .object(checkpoint)])
            }
        } catch is CheckpointStore.LeaseLost {
            throw JobInterruption.leaseLost
        }
        context.recordSave(bytes: parts.reduce(0) { $0 + $1.bytes.count }, seconds: MonotonicClock.now - started)
        if isBest { try store.markBest(job: job, best: id) }
        if let keep { try store.prune(job: job, keep: keep) }
        return id
    }

    func latestCheckpoint() throws -> (id: String, state: JSONValue, parts: [String: [UInt8]])? {
        guard let latest = try store.list(job: context.job.id).first else { return nil }
        try context.event("Resuming from checkpoint \(latest.id) at step \(latest.step)")
        return (latest.id, latest.state, try store.load(latest.id))
    }

    func loadCheckpoint(_ id: String) throws -> [String: [UInt8]] { try store.load(id) }
}
