import Platform
import Tensor

/// AdamW (Loshchilov & Hutter) with decoupled weight decay and bias correction, in the exact
/// order of operations of PyTorch's single-tensor implementation, as one flat loop over the
/// parameter arena. Weight decay applies only to the groups marked `decay` (HF's default
/// leaves out biases and LayerNorm weights).
///
/// Gradient accumulation: run several forward/backward passes without zeroing the gradients,
/// each with `dloss = 1 / steps`, then call `update` once.
public struct AdamW: Sendable {
    public var beta1: Double
    public var beta2: Double
    public var eps: Double
    public var weightDecay: Double
    /// Updates done so far (PyTorch's `step` state); the next update uses `step + 1`.
    public internal(set) var step = 0

    public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
    }

    /// One update of every parameter in `groups` (ranges of floats in the arenas, in any order)
    /// with learning rate `lr`.
    public mutating func update(
        params: Arena, grads: Arena, m: Arena, v: Arena,
        groups: [(range: Range<Int>, decay: Bool)], lr: Double
    ) {
        precondition(params.count == grads.count && params.count == m.count && params.count == v.count, "AdamW: arena sizes differ")
        step += 1
        let decayFactor = Float(1 - lr * weightDecay)
        let a = Float(1 - beta1), b2 = Float(beta2), oneMinusB2 = Float(1 - beta2)
        let correction1 = 1 - Math.pow(beta1, Double(step))
        let correction2Root = Float((1 - Math.pow(beta2, Double(step))).squareRoot())
        let stepSize = Float(-(lr / correction1))
        let epsilon = Float(eps)
        let p = params.pointer, g = grads.pointer, mp = m.pointer, vp = v.pointer
        for (range, decay) in groups {
            precondition(range.lowerBound >= 0 && range.upperBound <= params.count, "AdamW: group outside the arena")
            let factor: Float = decay ? decayFactor : 1  // p · 1 is exact: no branch in the loop
            Parallel.forRanges(range.count, grain: 16384) { part in
                var i = range.lowerBound + part.lowerBound
                let end = range.lowerBound + part.upperBound
                while i + 8 <= end {
                    let gv = VectorMath.load(g + i)
                    var mv = VectorMath.load(mp + i)
                    mv += a * (gv - mv)
                    let vv = VectorMath.load(vp + i) * b2 + oneMinusB2 * gv * gv
                    let denom = vv.squareRoot() / correction2Root + epsilon
                    VectorMath.store(VectorMath.load(p + i) * factor + stepSize * (mv / denom), p + i)
                    VectorMath.store(mv, mp + i)
                    VectorMath.store(vv, vp + i)
                    i += 8
                }
                while i < end {
                    p[i] *= factor
                    let gi = g[i]
                    mp[i] += a * (gi - mp[i])
                    vp[i] = vp[i] * b2 + oneMinusB2 * gi * gi
                    let denom = vp[i].squareRoot() / correction2Root + epsilon
                    p[i] += stepSize * (mp[i] / denom)
                    i += 1
                }
            }
        }
    }
}
