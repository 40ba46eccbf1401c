import JSON

/// What a trainer needs from its caller, so that `Training` stays free of the database: stop
/// requests, progress, metrics and checkpoint storage. The worker implements it over the job's
/// store; tests implement it in memory.
public protocol TrainingHooks {
    /// Throws to stop training between steps (cancel, pause, lost lease, shutdown).
    func shouldStop() throws
    /// Asked after `shouldStop` threw: whether that stop wants the steps since the last
    /// checkpoint kept (a shutdown: the job resumes elsewhere) and a checkpoint of
    /// `checkpointBytes` can be saved in the time left; the loop then saves one before stopping.
    func savesBeforeStopping(checkpointBytes: Int) -> Bool
    func progress(step: Int, totalSteps: Int, epoch: Double, trainedTokens: Int) throws
    /// `kind` is `train` or `eval`.
    func metrics(kind: String, step: Int, epoch: Double, values: JSONObject) throws
    /// Stores a checkpoint and returns its id. `isBest` marks it the best so far; `keep` (the
    /// `save_total_limit`) prunes older checkpoints but never the best one.
    func saveCheckpoint(step: Int, epoch: Double, metrics: JSONValue, state: JSONValue,
                        parts: [(name: String, bytes: [UInt8])], isBest: Bool, keep: Int?) throws -> String
    /// The newest checkpoint to resume from, if any.
    func latestCheckpoint() throws -> (id: String, state: JSONValue, parts: [String: [UInt8]])?
    /// The parts of a stored checkpoint (the best model at the end).
    func loadCheckpoint(_ id: String) throws -> [String: [UInt8]]
    /// The ranks this run is split over (nil: one process). Rank 0's hooks store; the other
    /// ranks' hooks store nothing and return what they are given.
    var collective: (any Collective)? { get }
}

extension TrainingHooks {
    public func savesBeforeStopping(checkpointBytes: Int) -> Bool { false }
    public var collective: (any Collective)? { nil }
}

/// How a run ended: the checkpoint holding the final model (the best one when
/// `load_best_model_at_end`, else the last) and what was measured.
public struct TrainingOutcome: Sendable {
    public var checkpoint: String
    public var steps: Int
    public var trainedTokens: Int
    public var stoppedEarly: Bool
    public var bestMetric: Double?
    public var lastEvaluation: JSONObject?
}

/// Why a trainer cannot run.
public struct TrainingError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
