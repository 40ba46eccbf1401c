import Engine

/// Deterministic data order: the same seed gives the same validation split and the same
/// shuffle for each epoch on every machine and Swift version (`SplitMix` and Fisher–Yates, not
/// the standard library's generator), so a resumed job sees exactly the data an
/// uninterrupted one would.
public enum DataOrder {
    /// A permutation of `0..<count` for `epoch`.
    public static func permutation(count: Int, seed: Int, epoch: Int) -> [Int] {
        var generator = SplitMix.Generator(seed: UInt64(truncatingIfNeeded: seed) &* 0x2545_F491_4F6C_DD1D &+ UInt64(bitPattern: Int64(epoch)))
        var order = Array(0..<count)
        if count < 2 { return order }
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, generator.below(i + 1))
        }
        return order
    }

    /// `order` regrouped as HF's `LengthGroupedSampler` does for `group_by_length`: cut into
    /// mega-batches of 50 batches (fewer for a small set: at least 4 batches each), each sorted
    /// longest first, and the longest example's mega-batch head swapped to the very front, so
    /// an out-of-memory shows at the first step. `batch` examples make an optimizer step.
    public static func grouped(_ order: [Int], lengths: [Int], batch: Int) -> [Int] {
        let multiple = max(1, min(order.count / max(1, batch * 4), 50)), size = multiple * batch
        var megabatches = stride(from: 0, to: order.count, by: size).map { start in
            // Stable: equal lengths keep the shuffled order.
            order[start..<min(start + size, order.count)].enumerated()
                .sorted { lengths[$0.element] != lengths[$1.element] ? lengths[$0.element] > lengths[$1.element] : $0.offset < $1.offset }
                .map(\.element)
        }
        guard let longest = megabatches.indices.max(by: { lengths[megabatches[$0][0]] < lengths[megabatches[$1][0]] }) else { return order }
        (megabatches[0][0], megabatches[longest][0]) = (megabatches[longest][0], megabatches[0][0])
        return megabatches.flatMap { $0 }
    }

    /// Splits `0..<count` into training and validation indices, each in ascending order; the
    /// validation part has `round(count * fraction)` examples (at least 1 when fraction > 0).
    public static func split(count: Int, validationFraction fraction: Double, seed: Int) -> (train: [Int], validation: [Int]) {
        guard fraction > 0, count > 1 else { return (Array(0..<count), []) }
        let size = min(count - 1, max(1, Int((Double(count) * fraction).rounded())))
        let shuffled = permutation(count: count, seed: seed, epoch: -1)
        return (shuffled[size...].sorted(), shuffled[..<size].sorted())
    }
}
