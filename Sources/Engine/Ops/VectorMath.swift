// Eight-wide exp and erf for the element-wise ops (libm's scalar calls dominated GELU and
// softmax). Accuracy: exp within 2 ulp on [-87, 88] (Cody–Waite reduction, degree-7 Taylor on
// |r| ≤ ln2/2) and exactly 0 below; erf within 4e-7 absolute (Abramowitz & Stegun 7.1.26: 1.5e-7, plus float rounding).
public enum VectorMath {
    public typealias Vector = SIMD8<Float>

    @inline(__always)
    public static func exp(_ x: Vector) -> Vector {
        let clamped = x.replacing(with: -87, where: x .< -87).replacing(with: 88, where: x .> 88)
        // Round x·log2(e) to the nearest integer n with the 1.5·2²³ shifter: the sum's low
        // mantissa bits then hold n, which also builds 2ⁿ without a float-to-int conversion.
        let shifter: Float = 12_582_912
        let shifted: Vector = clamped * 1.442695041 + shifter
        let n: Vector = shifted - shifter
        let high: Vector = n * 0.693359375, low: Vector = n * 2.12194440e-4
        let r: Vector = clamped - high + low
        // Horner's rule for 1 + r + r²/2! + … + r⁷/7!.
        var p: Vector = r * (1.0 / 5040) + (1.0 / 720)
        p = p * r + (1.0 / 120)
        p = p * r + (1.0 / 24)
        p = p * r + (1.0 / 6)
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let integer = unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000
        let power = unsafeBitCast((integer &+ 127) &<< 23, to: Vector.self)
        return (p * power).replacing(with: 0, where: x .< -87)
    }

    @inline(__always)
    public static func erf(_ x: Vector) -> Vector {
        let a = abs(x)
        let t: Vector = 1 / (1 + 0.3275911 * a)
        var polynomial: Vector = t * 1.061405429 - 1.453152027
        polynomial = polynomial * t + 1.421413741
        polynomial = polynomial * t - 0.284496736
        polynomial = polynomial * t + 0.254829592
        polynomial = polynomial * t
        let y: Vector = 1 - polynomial * exp(-a * a)
        return y.replacing(with: -y, where: x .< 0)
    }

    @inline(__always)
    static func abs(_ x: Vector) -> Vector { x.replacing(with: -x, where: x .< 0) }

    @inline(__always)
    public static func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }

    @inline(__always)
    public static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self) }

    /// out[0..<n] = a[0..<n] + b[0..<n]; out may be a or b.
    @inline(__always)
    static func add(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) {
        var j = 0
        while j + 8 <= n {
            store(load(a + j) + load(b + j), out + j)
            j += 8
        }
        while j < n {
            out[j] = a[j] + b[j]
            j += 1
        }
    }
}
