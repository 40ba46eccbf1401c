import Glibc

/// A float buffer per thread that grows to the largest request and is reused, for temporaries
/// of hot paths (LoRA's low-rank products) that must not allocate on every call. A nested
/// request on the same thread, while the buffer is lent out, gets a buffer of its own.
/// The corresponding C functions are `pthread_getspecific` and `pthread_setspecific`.
public enum ScratchBuffer {
    final class Storage {
        var pointer: UnsafeMutablePointer<Float>?
        var capacity = 0
        var lent = false
        deinit { pointer?.deallocate() }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key) { storage in
            if let storage { Unmanaged<Storage>.fromOpaque(storage).release() }
        }
        precondition(rc == 0, "pthread_key_create failed: \(rc)")
        return key
    }()

    private static var storage: Storage {
        if let raw = pthread_getspecific(key) { return Unmanaged<Storage>.fromOpaque(raw).takeUnretainedValue() }
        let storage = Storage()
        pthread_setspecific(key, Unmanaged.passRetained(storage).toOpaque())
        return storage
    }

    /// Requests larger than this (64 MiB) get their own buffer, so a thread keeps at most this.
    public static let kept = 16 << 20

    /// Runs `body` with at least `count` floats (their values undefined) that stay valid until it returns.
    public static func withFloats<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let storage = self.storage
        if storage.lent || count > kept {
            let own = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
            defer { own.deallocate() }
            return try body(own)
        }
        if storage.capacity < max(1, count) {
            storage.pointer?.deallocate()
            storage.pointer = .allocate(capacity: max(1, count))
            storage.capacity = max(1, count)
        }
        storage.lent = true
        defer { storage.lent = false }
        return try body(storage.pointer!)
    }
}
