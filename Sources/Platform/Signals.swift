import CLinux
import Glibc

/// Process signals for graceful shutdown.
public enum Signals {
    /// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts afterwards, and
    /// ignores SIGPIPE. Call first thing in `main`, then `waitForTermination()`.
    /// The corresponding C functions are `pthread_sigmask` and `signal`.
    public static func blockTermination() {
        var set = termination
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Waits for SIGTERM or SIGINT and returns its number. The corresponding C function is `sigwait`.
    public static func waitForTermination() -> Int32 {
        var set = termination
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }

    /// Catches SIGTERM, SIGINT and `also` with a handler that writes the signal's number to a pipe,
    /// for processes whose libraries start threads with every signal unblocked (MPI's progress
    /// threads), where `blockTermination` cannot keep a signal from killing the process. Ignores
    /// SIGPIPE. Then `waitForCaughtTermination()`. The corresponding C function is `sigaction`.
    public static func catchTermination(also: [Int32] = []) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        caughtPipe = (fds[0], fds[1])
        signal(SIGPIPE, SIG_IGN)
        for number in [SIGTERM, SIGINT] + also {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(Signals.caughtPipe.write, &byte, 1)  // async-signal-safe
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
    }

    /// Waits until `catchTermination`'s handler caught a signal and returns its number.
    public static func waitForCaughtTermination() -> Int32 {
        var byte: UInt8 = 0
        while read(caughtPipe.read, &byte, 1) != 1 {}
        return Int32(byte)
    }

    /// The pipe from `catchTermination`'s handler: set once before any signal is caught.
    nonisolated(unsafe) static var caughtPipe: (read: Int32, write: Int32) = (-1, -1)

    private static var termination: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        return set
    }
}
