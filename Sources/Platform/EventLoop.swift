import CLinux
import Glibc

/// An epoll instance plus an eventfd that other threads use to wake it.
/// Owned by one thread; only `wake()` may be called from others.
public final class EventLoop: @unchecked Sendable {
    public struct Interest: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let read = Interest(rawValue: EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
        public static let write = Interest(rawValue: EPOLLOUT.rawValue)
        /// A listening socket shared by several loops: only one of them is woken per connection.
        public static let accept = Interest(rawValue: EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue)
    }

    public struct Event: Sendable {
        public var fileDescriptor: Int32
        public var readable: Bool
        public var writable: Bool
        public var hangup: Bool
    }

    private let epoll: Int32
    private let wakeFD: Int32
    private var events: [epoll_event]

    /// The corresponding C functions are `epoll_create1` and `eventfd`.
    public init(capacity: Int = 256) throws(Errno) {
        epoll = try valueOrErrno { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        wakeFD = try valueOrErrno { eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC)) }
        events = Array(repeating: epoll_event(), count: capacity)
        try register(wakeFD, .read)
    }

    deinit {
        Glibc.close(wakeFD)
        Glibc.close(epoll)
    }

    /// The corresponding C function is `epoll_ctl(EPOLL_CTL_ADD)`.
    public func register(_ fd: Int32, _ interest: Interest) throws(Errno) {
        try control(EPOLL_CTL_ADD, fd, interest)
    }

    /// The corresponding C function is `epoll_ctl(EPOLL_CTL_MOD)`.
    public func modify(_ fd: Int32, _ interest: Interest) throws(Errno) {
        try control(EPOLL_CTL_MOD, fd, interest)
    }

    /// The corresponding C function is `epoll_ctl(EPOLL_CTL_DEL)`.
    public func deregister(_ fd: Int32) {
        var event = epoll_event()
        epoll_ctl(epoll, EPOLL_CTL_DEL, fd, &event)
    }

    private func control(_ op: Int32, _ fd: Int32, _ interest: Interest) throws(Errno) {
        var event = epoll_event()
        event.events = interest.rawValue
        event.data.fd = fd
        _ = try valueOrErrno { epoll_ctl(epoll, op, fd, &event) }
    }

    /// Waits up to `timeout` seconds and returns the ready descriptors; a `wake()` returns early
    /// with no events for the eventfd itself. The corresponding C function is `epoll_wait`.
    public func wait(timeout: Double) -> [Event] {
        let milliseconds = Int32(max(0, min(timeout * 1000, 60_000)))
        let count = events.withUnsafeMutableBufferPointer {
            epoll_wait(epoll, $0.baseAddress, Int32($0.count), milliseconds)
        }
        guard count > 0 else { return [] }
        var ready: [Event] = []
        ready.reserveCapacity(Int(count))
        for i in 0..<Int(count) {
            let fd = events[i].data.fd
            if fd == wakeFD {
                var value: UInt64 = 0
                _ = Glibc.read(wakeFD, &value, 8)
                continue
            }
            let flags = events[i].events
            ready.append(Event(
                fileDescriptor: fd,
                readable: flags & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0,
                writable: flags & EPOLLOUT.rawValue != 0,
                hangup: flags & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0))
        }
        return ready
    }

    /// Wakes `wait` from another thread. The corresponding C function is `write` on the eventfd.
    public func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }
}
