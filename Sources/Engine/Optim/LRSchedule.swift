import Platform

/// Learning-rate schedules as HF transformers defines them (`get_scheduler`): the learning rate
/// for optimizer step `step` (0-based, the value used by the first update is `rate(at: 0)`).
public struct LRSchedule: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case linear, cosine, constant
        case constantWithWarmup = "constant_with_warmup"
    }

    public var kind: Kind
    public var learningRate: Double
    public var totalSteps: Int
    public var warmupSteps: Int

    /// `warmupRatio`, when given, overrides `warmupSteps` with ⌈ratio · totalSteps⌉, as HF does.
    public init(kind: Kind, learningRate: Double, totalSteps: Int, warmupSteps: Int = 0, warmupRatio: Double? = nil) {
        precondition(totalSteps >= 0 && warmupSteps >= 0, "LRSchedule: negative steps")
        self.kind = kind
        self.learningRate = learningRate
        self.totalSteps = totalSteps
        if let warmupRatio {
            let raw = warmupRatio * Double(totalSteps)
            var steps = Int(raw)
            if Double(steps) < raw { steps += 1 }
            self.warmupSteps = steps
        } else {
            self.warmupSteps = warmupSteps
        }
    }

    public func multiplier(at step: Int) -> Double {
        let warmup = Double(max(1, warmupSteps))
        switch kind {
        case .constant:
            return 1
        case .constantWithWarmup:
            return step < warmupSteps ? Double(step) / warmup : 1
        case .linear:
            if step < warmupSteps { return Double(step) / warmup }
            return max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
        case .cosine:
            if step < warmupSteps { return Double(step) / warmup }
            let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
            return max(0, 0.5 * (1 + Math.cos(Double.pi * 0.5 * 2 * progress)))
        }
    }

    public func rate(at step: Int) -> Double { learningRate * multiplier(at: step) }
}
