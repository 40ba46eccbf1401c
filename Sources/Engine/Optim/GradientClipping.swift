import Tensor

/// Clipping by global norm, as `torch.nn.utils.clip_grad_norm_`: when the L2 norm of all
/// gradients exceeds `maxNorm`, every gradient is scaled by maxNorm / (norm + 1e-6).
public enum GradientClipping {
    /// The L2 norm of `ranges` of `grads`, summed in Double per range in order (deterministic).
    public static func norm(grads: Arena, ranges: [Range<Int>]) -> Double {
        var total: Double = 0
        for range in ranges {
            var sum: Double = 0
            for i in range { let g = Double(grads.pointer[i]); sum += g * g }
            total += sum
        }
        return total.squareRoot()
    }

    /// Clips in place and returns the norm before clipping.
    @discardableResult
    public static func clip(grads: Arena, ranges: [Range<Int>], maxNorm: Double) -> Double {
        let total = norm(grads: grads, ranges: ranges)
        let coefficient = maxNorm / (total + 1e-6)
        if coefficient < 1 {
            let factor = Float(coefficient), g = grads.pointer
            for range in ranges {
                Parallel.forRanges(range.count, grain: 16384) { part in
                    for j in part { g[range.lowerBound + j] *= factor }
                }
            }
        }
        return total
    }
}
