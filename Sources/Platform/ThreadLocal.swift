import Glibc

/// A reference that each thread sets for itself around a region of work (the engine's thread
/// team for one caller, say). The corresponding C functions are `pthread_getspecific` and
/// `pthread_setspecific`.
public final class ThreadLocal<Value: AnyObject>: @unchecked Sendable {
    private var key = pthread_key_t()

    public init() {
        let rc = pthread_key_create(&key, nil)
        precondition(rc == 0, "pthread_key_create failed: \(rc)")
    }

    /// This thread's value, nil outside `with`.
    public var value: Value? {
        pthread_getspecific(key).map { Unmanaged<Value>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Runs `body` with `value` set on this thread, then restores the previous value.
    public func with<R>(_ value: Value?, _ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(key)
        let retained = value.map { Unmanaged.passRetained($0).toOpaque() }
        pthread_setspecific(key, retained)
        defer {
            pthread_setspecific(key, previous)
            if let retained { Unmanaged<Value>.fromOpaque(retained).release() }
        }
        return try body()
    }
}
