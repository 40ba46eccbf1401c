import Engine

/// The step arithmetic the trainers share: batches and optimizer steps per epoch, the total,
/// the learning-rate schedule, when to evaluate or save, and which shuffled examples make up a
/// step's micro-batches (a function of the step alone, which is what makes resuming exact).
struct TrainingPlan {
    let arguments: TrainingArguments
    let examples: Int
    /// Each training example's tokens, for `group_by_length` ([]: not grouped).
    let lengths: [Int]
    let batchesPerEpoch: Int
    let stepsPerEpoch: Int
    let totalSteps: Int
    let schedule: LRSchedule
    private var orderEpoch = -1
    private var order: [Int] = []

    init(arguments: TrainingArguments, examples: Int, lengths: [Int] = []) {
        self.arguments = arguments
        self.examples = examples
        self.lengths = lengths.count == examples ? lengths : []
        let bs = arguments.perDeviceTrainBatchSize
        batchesPerEpoch = (examples + bs - 1) / bs
        stepsPerEpoch = max(1, batchesPerEpoch / arguments.gradientAccumulationSteps)
        totalSteps = arguments.totalSteps(examples: examples)
        let kind = LRSchedule.Kind(rawValue: arguments.lrSchedulerType) ?? .linear
        schedule = LRSchedule(kind: kind, learningRate: arguments.learningRate, totalSteps: totalSteps,
                              warmupSteps: arguments.warmup(totalSteps: totalSteps))
    }

    /// Whether `strategy` (`steps`, `epoch` or `no`) acts after `step`.
    func due(_ strategy: String, every: Int, step: Int, epochEnd: Bool) -> Bool {
        switch strategy {
        case "steps": step % max(1, every) == 0
        case "epoch": epochEnd
        default: false
        }
    }

    /// The example indices of each micro-batch of optimizer step `step` (gradient accumulation
    /// splits a step into several), from the seeded permutation of the step's epoch.
    mutating func microBatches(step: Int) -> [ArraySlice<Int>] {
        let epoch = step / stepsPerEpoch, within = step % stepsPerEpoch
        if epoch != orderEpoch {
            order = DataOrder.permutation(count: examples, seed: arguments.seed, epoch: epoch)
            if arguments.groupByLength && !lengths.isEmpty {
                order = DataOrder.grouped(order, lengths: lengths, batch: arguments.perDeviceTrainBatchSize * arguments.gradientAccumulationSteps)
            }
            orderEpoch = epoch
        }
        let accumulation = arguments.gradientAccumulationSteps, bs = arguments.perDeviceTrainBatchSize
        let first = within * accumulation, count = max(1, min(accumulation, batchesPerEpoch - first))
        return (first..<(first + count)).map { b in order[(b * bs)..<min((b + 1) * bs, order.count)] }
    }
}
