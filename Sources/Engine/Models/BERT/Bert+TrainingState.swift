import Tensor

/// The state a trainer saves and restores to resume exactly: the parameters, AdamW's moments and
/// step (which also seeds dropout), as raw little-endian float32 bytes of each arena.
extension Bert {
    public enum StatePart: String, CaseIterable, Sendable { case params, m, v }

    /// The bytes of one arena (`m` and `v` only on a trainable model).
    public func stateBytes(_ part: StatePart) -> [UInt8] {
        guard let arena = arena(part) else { preconditionFailure("Bert: no \(part) on an inference model") }
        return Array(UnsafeRawBufferPointer(start: arena.pointer, count: arena.count * 4))
    }

    /// Restores one arena from `stateBytes`; returns false when the size does not match.
    public func restore(_ part: StatePart, bytes: [UInt8]) -> Bool {
        guard let arena = arena(part), bytes.count == arena.count * 4 else { return false }
        bytes.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(arena.pointer).copyMemory(from: raw.baseAddress!, byteCount: bytes.count)
        }
        return true
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
