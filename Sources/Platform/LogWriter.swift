import Glibc

/// Where log lines go: a bounded buffer drained by one writer thread, so a caller (an event
/// loop, a handler) never waits for a slow reader of standard output. When the buffer is full a
/// line is dropped and counted; the writer then says how many with a line of its own.
public final class LogWriter: Sendable {
    struct State {
        var buffer: [UInt8] = []
        /// Lines dropped since the writer last reported them, and in all.
        var unreported = 0
        var dropped = 0
        var writing = false
    }

    let descriptor: Int32
    let capacity: Int
    private let state = ConditionLock(State())

    /// Standard output, with 4 MiB of room.
    public static let standardOutput: LogWriter = {
        let writer = LogWriter(descriptor: 1, capacity: 4 << 20)
        atexit { LogWriter.standardOutput.flush(timeout: 2) }
        return writer
    }()

    public init(descriptor: Int32, capacity: Int) {
        self.descriptor = descriptor
        self.capacity = capacity
        Thread.spawn(name: "log-writer") { [self] in run() }
    }

    /// Queues one line (with its newline); drops it when the buffer is full. Never blocks on I/O.
    public func append(_ line: [UInt8]) {
        let queued = state.withLock { state -> Bool in
            guard state.buffer.count + line.count <= capacity else {
                state.unreported += 1
                state.dropped += 1
                return false
            }
            state.buffer.append(contentsOf: line)
            return true
        }
        if queued { state.broadcast() }
    }

    /// Lines dropped since the start.
    public var dropped: Int { state.withLock { $0.dropped } }

    /// Waits until everything queued is written, at most `timeout` seconds (before an exit).
    public func flush(timeout: Double) {
        state.withLock(when: { $0.buffer.isEmpty && !$0.writing }, timeout: timeout) { _, _ in }
    }

    private func run() {
        while true {
            var (bytes, unreported) = state.withLock(when: { !$0.buffer.isEmpty || $0.unreported > 0 }) { state, _ in
                defer {
                    state.buffer = []
                    state.unreported = 0
                    state.writing = true
                }
                return (state.buffer, state.unreported)
            }
            if unreported > 0 {
                bytes += Array(#"{"ts":"\#(WallClock.iso8601())","level":"warn","msg":"log lines dropped: the log's reader was too slow","count":\#(unreported)}"#.utf8) + [10]
            }
            bytes.withUnsafeBytes { raw in try? FileDescriptor.writeAll(descriptor, raw) }
            state.withLock { $0.writing = false }
            state.broadcast()
        }
    }
}
