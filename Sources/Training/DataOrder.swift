/// Deterministic data order: the same seed gives the same validation split and the same
/// shuffle for each epoch on every machine and Swift version (our own generator and
/// Fisher–Yates, not the standard library's), so a resumed job sees exactly the data an
/// uninterrupted one would.
public enum DataOrder {
    /// SplitMix64 (Steele, Lea and Flood 2014): small, fast, and fully specified.
    public struct Generator: RandomNumberGenerator, Sendable {
        var state: UInt64
        public init(seed: UInt64) { state = seed }
        public mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        /// Uniform in 0..<bound without modulo bias (Lemire's method).
        public mutating func below(_ bound: Int) -> Int {
            precondition(bound > 0)
            let b = UInt64(bound)
            var product = next().multipliedFullWidth(by: b)
            if product.low < b {
                let threshold = (0 &- b) % b
                while product.low < threshold { product = next().multipliedFullWidth(by: b) }
            }
            return Int(product.high)
        }
    }

    /// A permutation of `0..<count` for `epoch`.
    public static func permutation(count: Int, seed: Int, epoch: Int) -> [Int] {
        var generator = Generator(seed: UInt64(truncatingIfNeeded: seed) &* 0x2545_F491_4F6C_DD1D &+ UInt64(bitPattern: Int64(epoch)))
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
