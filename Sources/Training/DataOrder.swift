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

    /// Splits `0..<count` into training and validation indices, each in ascending order; the
    /// validation part has `round(count * fraction)` examples (at least 1 when fraction > 0).
    public static func split(count: Int, validationFraction fraction: Double, seed: Int) -> (train: [Int], validation: [Int]) {
        guard fraction > 0, count > 1 else { return (Array(0..<count), []) }
        let size = min(count - 1, max(1, Int((Double(count) * fraction).rounded())))
        let shuffled = permutation(count: count, seed: seed, epoch: -1)
        return (shuffled[size...].sorted(), shuffled[..<size].sorted())
    }
}
