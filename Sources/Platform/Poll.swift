import Glibc

/// Waits for one file descriptor to become ready. The corresponding C function is `poll`.
///
/// Used for sockets owned by C libraries (libpq's `PQsocket`), where an epoll registration
/// would outlive the library's own reconnects.
public enum Poll {
    public struct Events: OptionSet, Sendable {
        public let rawValue: Int16
        public init(rawValue: Int16) { self.rawValue = rawValue }

        public static let readable = Events(rawValue: Int16(POLLIN))
        public static let writable = Events(rawValue: Int16(POLLOUT))
        /// The descriptor failed, was hung up, or is not open (`POLLERR`, `POLLHUP`, `POLLNVAL`).
        public static let error = Events(rawValue: Int16(POLLERR))
    }

    /// Waits up to `timeout` seconds (negative waits forever) for `events` on `fd`.
    /// Returns the events that happened, `[]` on timeout. `EINTR` restarts the wait with the
    /// time left; any other failure of `poll` is reported as `.error`.
    public static func wait(_ fd: Int32, for events: Events, timeout: Double) -> Events {
        let deadline = MonotonicClock.now + timeout
        while true {
            var milliseconds: Int32 = -1
            if timeout >= 0 {
                let left = max(0, deadline - MonotonicClock.now)
                milliseconds = Int32(min((left * 1000).rounded(.up), Double(Int32.max)))
            }
            var entry = pollfd(fd: fd, events: events.rawValue, revents: 0)
            let rc = Glibc.poll(&entry, 1, milliseconds)
            if rc > 0 {
                var result = Events(rawValue: entry.revents & (events.rawValue | Events.error.rawValue))
                if entry.revents & Int16(POLLHUP | POLLNVAL) != 0 { result.insert(.error) }
                return result
            }
            if rc == 0 { return [] }
            if errno != EINTR { return .error }
        }
    }

    /// Whether the peer of socket `fd` has shut down its side or the socket failed, without
    /// waiting or consuming input (`POLLRDHUP`; a half-close counts). Unread input (a pipelined
    /// request) is not a hang-up.
    public static func peerClosed(_ fd: Int32) -> Bool {
        let rdhup: Int16 = 0x2000  // POLLRDHUP, Linux
        var entry = pollfd(fd: fd, events: rdhup, revents: 0)
        guard Glibc.poll(&entry, 1, 0) > 0 else { return false }
        return entry.revents & (rdhup | Int16(POLLHUP | POLLERR | POLLNVAL)) != 0
    }

    /// Whether socket `fd` can no longer reach its peer: reset or failed (`POLLHUP`, `POLLERR`), as
    /// after a write to a peer that closed. A half-close alone is not that: the peer may still read.
    public static func peerUnreachable(_ fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: 0, revents: 0)
        guard Glibc.poll(&entry, 1, 0) > 0 else { return false }
        return entry.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }
}
