import Glibc

/// The libm functions the engine needs, which the standard library does not provide.
public enum Math {
    /// The corresponding C function is `expf`.
    @inlinable public static func exp(_ x: Float) -> Float { Glibc.expf(x) }
    /// The corresponding C function is `logf`.
    @inlinable public static func log(_ x: Float) -> Float { Glibc.logf(x) }
    /// The corresponding C function is `tanhf`.
    @inlinable public static func tanh(_ x: Float) -> Float { Glibc.tanhf(x) }
    /// The corresponding C function is `erff`.
    @inlinable public static func erf(_ x: Float) -> Float { Glibc.erff(x) }
    /// The corresponding C function is `cosf`.
    @inlinable public static func cos(_ x: Float) -> Float { Glibc.cosf(x) }

    /// The corresponding C function is `exp`.
    @inlinable public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    /// The corresponding C function is `log`.
    @inlinable public static func log(_ x: Double) -> Double { Glibc.log(x) }
    /// The corresponding C function is `cos`.
    @inlinable public static func cos(_ x: Double) -> Double { Glibc.cos(x) }
    /// The corresponding C function is `sin`.
    @inlinable public static func sin(_ x: Double) -> Double { Glibc.sin(x) }
    /// The corresponding C function is `pow`.
    @inlinable public static func pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
    /// log(1 + x), exact for small x. The corresponding C function is `log1p`.
    @inlinable public static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
    /// e^x − 1, exact for small x. The corresponding C function is `expm1`.
    @inlinable public static func expm1(_ x: Double) -> Double { Glibc.expm1(x) }
}
