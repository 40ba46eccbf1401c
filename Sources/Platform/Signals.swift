import CLinux
import Glibc

/// Process signals for graceful shutdown.
public enum Signals {
    /// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts afterwards, and
    /// ignores SIGPIPE. Call first thing in `main`, then `waitForTermination()`.
    /// The corresponding C functions are `pthread_sigmask` and `signal`.
    public static func blockTermination() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Waits for SIGTERM or SIGINT and returns its number. The corresponding C function is `sigwait`.
    public static func waitForTermination() -> Int32 {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }
}
