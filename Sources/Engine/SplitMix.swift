import Platform

/// SplitMix64 (Steele, Lea and Flood 2014), the one seeded generator behind everything random in
/// Anneal: data order, dropout seeds and sampling. Small, fast and fully specified, so a seed gives
/// the same numbers on every machine and Swift version, which is what lets a job resume exactly.
/// `scripts/fixtures/pinned-random.py` reimplements it for the tests' pinned values.
public enum SplitMix {
    /// The sequential generator.
    public struct Generator: RandomNumberGenerator, Sendable {
        var state: UInt64
        public init(seed: UInt64) { state = seed }

        public mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            return SplitMix.finalize(state)
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

        /// Uniform in (0, 1): the top 53 bits of the next value, centred in their interval.
        public mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / Double(1 << 53) }

        /// Standard normal by Box–Muller from the next two uniforms (the cosine half only), for
        /// initialising weights.
        public mutating func normal() -> Double {
            let radius = (-2 * Math.log(uniform())).squareRoot()
            return radius * Math.cos(2 * Double.pi * uniform())
        }
    }

    /// The `index`-th value of the generator seeded with `seed`, without stepping through the
    /// others (counter-based): per-step dropout seeds and per-position sampling draws.
    @inline(__always)
    public static func hash(seed: UInt64, index: Int) -> UInt64 {
        finalize(seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15)
    }

    @inline(__always)
    static func finalize(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
