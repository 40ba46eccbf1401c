import Glibc

/// A value guarded by a pthread mutex, with a condition variable for waiting on it.
///
/// `Synchronization.Mutex` has no condition variable; threads that wait for a pool slot or a
/// queue item use this instead. The corresponding C functions are `pthread_mutex_*` and
/// `pthread_cond_*`.
public final class ConditionLock<Value>: @unchecked Sendable {
    private var value: Value
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Runs `body` with the lock held.
    public func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Waits until `ready` holds (or the timeout passes), then runs `body` with the lock held.
    /// `body` receives whether `ready` held; `timeout` is in seconds, nil waits forever.
    public func withLock<T>(
        when ready: (Value) -> Bool, timeout: Double? = nil, _ body: (inout Value, Bool) throws -> T
    ) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let deadline = timeout.map { MonotonicClock.now + $0 }
        while !ready(value) {
            if let deadline {
                let left = deadline - MonotonicClock.now
                if left <= 0 { break }
                var ts = MonotonicClock.deadline(at: deadline)
                pthread_cond_timedwait(condition, mutex, &ts)
            } else {
                pthread_cond_wait(condition, mutex)
            }
        }
        return try body(&value, ready(value))
    }

    /// Wakes every thread waiting in `withLock(when:)`. Call after changing the value.
    public func broadcast() {
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }
}
