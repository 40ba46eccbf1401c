import Testing

/// A small owned float buffer for op tests.
final class Buffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ count: Int, value: Float = 0) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
    }

    convenience init(random count: Int, _ rng: inout TestRandom, scale: Float = 1) {
        self.init(count)
        for i in 0..<count { pointer[i] = rng.uniform() * scale }
    }

    deinit { pointer.deallocate() }

    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
    subscript(i: Int) -> Float { get { pointer[i] } set { pointer[i] = newValue } }
}

/// splitmix64: reproducible test data without Foundation.
struct TestRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
}

/// Checks an op's backward against central finite differences of its forward.
///
/// The scalar is L = Σ r·out for a fixed random r, accumulated in Double; each input element is
/// moved by ±h. With h = 1e-2 and O(1) values, the truncation error is about h²·|f'''|/6 ≈ 2e-5
/// and float rounding of the outputs contributes about 1e-6/(2h) ≈ 5e-5, so a norm-relative
/// tolerance of 1e-3 (default) separates correct gradients from any real bug (those give O(1)).
/// Gradient buffers start at 0.5, and 0.5 is subtracted afterwards: this also proves backward
/// accumulates (+=) instead of overwriting.
func checkGradients(
    _ name: String, output: Buffer, inputs: [(value: Buffer, grad: Buffer)],
    h: Float = 1e-2, tolerance: Double = 1e-3,
    forward: () -> Void, backward: (UnsafePointer<Float>) -> Void
) {
    var rng = TestRandom(42)
    let r = Buffer(random: output.count, &rng)
    func loss() -> Double {
        forward()
        var sum: Double = 0
        for i in 0..<output.count { sum += Double(output[i]) * Double(r[i]) }
        return sum
    }
    for (_, grad) in inputs { grad.pointer.update(repeating: 0.5, count: grad.count) }
    forward()
    backward(r.pointer)
    for (k, (value, grad)) in inputs.enumerated() {
        var difference: Double = 0, reference: Double = 0
        for i in 0..<value.count {
            let saved = value[i]
            value[i] = saved + h
            let plus = loss()
            value[i] = saved - h
            let minus = loss()
            value[i] = saved
            let numeric = (plus - minus) / (2 * Double(h))
            let analytic = Double(grad[i]) - 0.5
            difference += (numeric - analytic) * (numeric - analytic)
            reference += numeric * numeric
        }
        let error = difference.squareRoot() / max(reference.squareRoot(), 1e-6)
        #expect(error < tolerance, "\(name): input \(k) gradient error \(error)")
    }
    forward()
}
