import Glibc

/// An error number from a failed system call.
public struct Errno: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's `errno`.
    public static var current: Errno { Errno(rawValue: errno) }

    public static let interrupted = Errno(rawValue: EINTR)
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    public static let brokenPipe = Errno(rawValue: EPIPE)
    public static let connectionReset = Errno(rawValue: ECONNRESET)
    public static let addressInUse = Errno(rawValue: EADDRINUSE)
    public static let tooManyOpenFiles = Errno(rawValue: EMFILE)
    public static let notPermitted = Errno(rawValue: EPERM)
    public static let noSuchFile = Errno(rawValue: ENOENT)
    public static let invalidArgument = Errno(rawValue: EINVAL)

    /// The corresponding C function is `strerror_r`.
    public var description: String {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = strerror_r(rawValue, &buffer, 256)
        let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(message) (errno \(rawValue))"
    }
}

/// Runs a system call, retrying while it fails with `EINTR`, and turns `-1` into the thrown `Errno`.
@inline(__always)
public func valueOrErrno<T: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ call: () -> T) throws(Errno) -> T {
    while true {
        let result = call()
        if result != -1 { return result }
        let error = Errno.current
        if retryOnInterrupt && error == .interrupted { continue }
        throw error
    }
}
