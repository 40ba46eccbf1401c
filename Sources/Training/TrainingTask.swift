import Engine
import JSON

/// What a fine-tuning method brings to the one training loop (`TrainingLoop`): the parameters
/// the optimizer updates, one optimizer step's forward and backward, its own train metrics and
/// its evaluation. Progress, logging, evaluation and save schedules, best-checkpoint tracking,
/// early stopping, cancellation, checkpoints and resuming are the loop's, the same for every
/// method: classification and causal-LM fine-tuning now, preference and prefix tuning next.
public protocol TrainingTask: AnyObject {
    var arguments: TrainingArguments { get }
    /// What the optimizer updates: every weight, or adapters (with any head beside them).
    var trained: TrainedParameters { get }
    /// The checkpoint part holding `trained.params`.
    var weightsPart: CheckpointPart { get }
    /// Training examples: the unit of the data order and of the step plan.
    var trainingExamples: Int { get }
    /// Each training example's tokens, for `group_by_length`.
    var trainingLengths: [Int] { get }
    var hasValidation: Bool { get }
    /// Saved with each checkpoint: a resumed run must be on the same labels ([] for none).
    var labels: [String] { get }
    /// The evaluation metric that picks the best checkpoint and drives early stopping.
    var bestMetric: (name: String, greaterIsBetter: Bool) { get }

    /// Forward and backward over the micro-batches of optimizer step `step` (this rank's example
    /// indices), gradients into `trained.grads` (zeroed first), each micro-batch's loss scaled by
    /// its share over their count; empty ones are skipped. Dropout is a function of `step`, so a
    /// resumed run repeats the uninterrupted one.
    func accumulate(step: Int, microBatches: [MicroBatch]) throws -> StepStats
    /// What a micro-batch's loss is the mean over, for these examples: examples (pairs for
    /// preferences) or scored tokens. It splits a micro-batch's loss between ranks.
    func lossUnits(_ indices: ArraySlice<Int>) -> Int
    /// This method's train metrics for the window since the last log, after loss, learning rate
    /// and gradient norm (the window's samples and seconds given); resets its own counters.
    func windowMetrics(samples: Int, seconds: Double) -> JSONObject
    /// The raw counters behind `windowMetrics` (sums of this rank's micro-batches, weighted by
    /// their share): a data-parallel run sums them over its ranks and sets them back before
    /// asking for the metrics, so a metric covers every rank's examples. [] for none.
    var windowCounters: [Double] { get set }
    /// The ranks a data-parallel run evaluates with: each evaluates every `size`-th validation
    /// batch, and the figures are summed. nil (the default): this process evaluates them all.
    var evaluationRanks: (any Collective)? { get set }
    /// Metrics on the validation set, without dropout.
    func evaluate() throws -> JSONObject
    /// `evaluate` of the base before training: with an adapter, the adapter off (LoRA starts
    /// as the base, a prefix does not); otherwise the model as it is.
    func evaluateBase() throws -> JSONObject
}

/// What one optimizer step saw.
public struct StepStats: Sendable {
    /// The mean loss over its micro-batches.
    public var loss: Float
    public var samples: Int
    public var tokens: Int
    public init(loss: Float, samples: Int, tokens: Int) { (self.loss, self.samples, self.tokens) = (loss, samples, tokens) }
}

extension TrainingTask {
    /// Trains to the end (or an early stop), resuming from the hooks' latest checkpoint if any.
    public func run(_ hooks: some TrainingHooks) throws -> TrainingOutcome {
        var loop = TrainingLoop(task: self)
        return try loop.run(hooks)
    }

    public var totalSteps: Int { arguments.totalSteps(examples: trainingExamples) }

    public var windowCounters: [Double] {
        get { [] }
        set {}
    }

    public var evaluationRanks: (any Collective)? {
        get { nil }
        set {}
    }

    /// The LoRA dropout seed of micro-batch `micro` of step `step`: a function of the step, so a
    /// resumed run drops what the uninterrupted one did.
    public func dropoutSeed(step: Int, micro: Int, stream: Int = 0) -> UInt64 {
        let seed = SplitMix.hash(seed: SplitMix.hash(seed: UInt64(arguments.seed), index: step), index: micro)
        return stream == 0 ? seed : SplitMix.hash(seed: seed, index: stream)
    }
}
