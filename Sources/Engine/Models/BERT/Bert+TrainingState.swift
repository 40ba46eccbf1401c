import Tensor

/// The state a trainer saves and restores to resume exactly: the parameters, AdamW's moments and
/// step (which also seeds dropout), as raw little-endian float32 bytes of each arena.
extension Bert {
    public enum StatePart: String, CaseIterable, Sendable { case params, m, v }

    /// The bytes of one arena (`m` and `v` only on a trainable model).
    public func stateBytes(_ part: StatePart) -> [UInt8] {
        guard let arena = arena(part) else { preconditionFailure("Bert: no \(part) on an inference model") }
        return arena.bytes
    }

    /// Restores one arena from `stateBytes`; returns false when the size does not match.
    public func restore(_ part: StatePart, bytes: [UInt8]) -> Bool {
        arena(part)?.restore(bytes) ?? false
    }

    /// Sets the optimizer's update count (after restoring `m` and `v`).
    public func restoreOptimizerStep(_ step: Int) {
        precondition(step >= 0, "Bert: negative optimizer step")
        optimizer.step = step
    }

    func arena(_ part: StatePart) -> Arena? {
        switch part {
        case .params: params
        case .m: m
        case .v: v
        }
    }
}
