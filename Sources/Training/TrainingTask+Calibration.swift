import Engine
import Tensor

/// What a whole run will do, and how long one of its steps takes here: the dry run's estimate
/// (`POST /v1/fine_tuning/jobs` with `dry_run`).
public struct TrainingSchedule: Sendable {
    public var totalSteps: Int
    public var evaluations: Int
    /// Checkpoints written, the final one included.
    public var saves: Int
    /// Bytes of one checkpoint: what is trained and AdamW's two moments.
    public var checkpointBytes: Int
    public var validationExamples: Int
}

extension TrainingTask {
    /// The evaluations and checkpoints a run to its end makes, by the loop's own rules.
    public func schedule(validationExamples: Int) -> TrainingSchedule {
        let plan = TrainingPlan(arguments: arguments, examples: trainingExamples)
        var evaluations = 0, saves = 0
        for step in stride(from: 1, through: plan.totalSteps, by: 1) {
            let epochEnd = step % plan.stepsPerEpoch == 0 || step == plan.totalSteps
            if hasValidation && plan.due(arguments.evalStrategy, every: arguments.evalSteps ?? arguments.loggingSteps, step: step, epochEnd: epochEnd) {
                evaluations += 1
            }
            if plan.due(arguments.saveStrategy, every: arguments.saveSteps, step: step, epochEnd: epochEnd) || step == plan.totalSteps { saves += 1 }
        }
        return TrainingSchedule(totalSteps: plan.totalSteps, evaluations: evaluations, saves: saves,
                                checkpointBytes: 3 * trained.params.count * MemoryLayout<Float>.size, validationExamples: validationExamples)
    }

    /// Seconds per optimizer step here: the mean of `steps` real steps of this run (its first
    /// ones, after one untimed warm-up step). The parameters change: use a task made for this.
    public func calibrate(steps: Int = 3) throws -> Double {
        // The plain shuffled order even with group_by_length, whose first batch is on purpose
        // the longest of the set: shuffled batches are the typical step, grouped ones its worst.
        var plan = TrainingPlan(arguments: arguments, examples: trainingExamples)
        let clock = ContinuousClock()
        var seconds = 0.0
        for step in 0...steps {
            let started = clock.now
            _ = try accumulate(step: step % plan.totalSteps, microBatches: plan.microBatches(step: step % plan.totalSteps).map { MicroBatch($0) })
            _ = trained.step(lr: arguments.learningRate, maxGradNorm: arguments.maxGradNorm > 0 ? arguments.maxGradNorm : nil)
            if step > 0 { seconds += (clock.now - started).seconds }
        }
        return seconds / Double(max(1, steps))
    }
}
