import CLinux
import Glibc

/// A detached POSIX thread. Training, inference and blocking database calls run on these,
/// never on the cooperative executor. The corresponding C function is `pthread_create`.
public enum Thread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a new detached thread with an 8 MiB stack, named `name` in `ps -L`
    /// (15 bytes at most are kept). The corresponding C function is `prctl(PR_SET_NAME)`.
    public static func spawn(name: String, _ body: @escaping @Sendable () -> Void) {
        let short = String(decoding: name.utf8.prefix(15), as: UTF8.self)
        let box = Unmanaged.passRetained(Box {
            _ = anneal_set_thread_name(short)
            body()
        }).toOpaque()
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, 8 << 20)
        let rc = pthread_create(&thread, &attributes, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box)
        pthread_attr_destroy(&attributes)
        precondition(rc == 0, "pthread_create failed: \(rc)")
    }
}
