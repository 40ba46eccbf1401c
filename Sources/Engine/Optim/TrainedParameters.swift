import Tensor

/// Parameters trained with AdamW: the weights, their gradients and the optimizer's moments, in
/// arenas of one layout, and which ranges take weight decay.
public final class TrainedParameters: @unchecked Sendable {
    public let params: Arena, grads: Arena, m: Arena, v: Arena
    public let groups: [(range: Range<Int>, decay: Bool)]
    public var optimizer: AdamW

    /// `trainable: false` allocates no gradients or moments (weights that are only used).
    public convenience init(params: Arena, groups: [(range: Range<Int>, decay: Bool)], weightDecay: Double, trainable: Bool = true) {
        self.init(params: params, grads: Arena(count: trainable ? params.count : 0), groups: groups, weightDecay: weightDecay)
    }

    /// Over gradients the model already keeps (BERT's backward writes into its own `grads`).
    public init(params: Arena, grads: Arena, groups: [(range: Range<Int>, decay: Bool)], weightDecay: Double) {
        precondition(grads.count == params.count || grads.count == 0, "TrainedParameters: gradients of another size")
        (self.params, self.grads, self.groups) = (params, grads, groups)
        (m, v) = (Arena(count: grads.count), Arena(count: grads.count))
        optimizer = AdamW(weightDecay: weightDecay)
    }

    /// Clips the gradients to `maxGradNorm` (when given) and takes one AdamW step; returns the
    /// norm before clipping.
    public func step(lr: Double, maxGradNorm: Double?) -> Double {
        let ranges = groups.map(\.range)
        let norm = maxGradNorm.map { GradientClipping.clip(grads: grads, ranges: ranges, maxNorm: $0) }
            ?? GradientClipping.norm(grads: grads, ranges: ranges)
        optimizer.update(params: params, grads: grads, m: m, v: v, groups: groups, lr: lr)
        return norm
    }

    /// Sets AdamW's update count when resuming (after restoring `m` and `v`).
    public func restoreOptimizerStep(_ step: Int) { optimizer.step = step }
}

extension TrainedParameters {
    /// AdamW's groups over an arena laid out as `tensors` in order (`stacked`: the first
    /// dimension is the layer): matrices take weight decay, vectors (norms, biases) do not.
    public static func groups(_ tensors: [(shape: [Int], stacked: Bool)]) -> [(range: Range<Int>, decay: Bool)] {
        var offset = 0
        return tensors.map { shape, stacked in
            let count = shape.reduce(1, *)
            defer { offset += count }
            return (offset..<(offset + count), shape.count - (stacked ? 1 : 0) >= 2)
        }
    }
}
