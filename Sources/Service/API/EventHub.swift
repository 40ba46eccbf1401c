import Jobs
import Platform
import Store
import Synchronization

/// Wakes this process's job event streams when a job has a new event: one LISTEN connection on
/// `JobEvents.channel` for all of them, started by the first stream. A stream still polls every
/// second, so a lost notification costs at most that.
final class EventHub: Sendable {
    private let databaseURL: String
    /// A count of notifications per job: a stream waits for its job's to change.
    private let counts = ConditionLock<[String: UInt64]>([:])
    private let started = Atomic<Bool>(false)
    private let streams = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    init(databaseURL: String) { self.databaseURL = databaseURL }

    /// The job's count now; pass it to `wait`.
    func mark(_ job: String) -> UInt64 {
        start()
        return counts.withLock { $0[job] ?? 0 }
    }

    /// Waits up to `timeout` seconds for an event of `job` after `mark`; true when one came.
    @discardableResult
    func wait(_ job: String, since mark: UInt64, timeout: Double) -> Bool {
        counts.withLock(when: { ($0[job] ?? 0) != mark || self.stopped.load(ordering: .relaxed) }, timeout: timeout) { current, ready in
            ready && (current[job] ?? 0) != mark
        }
    }

    var isStopped: Bool { stopped.load(ordering: .relaxed) }

    /// Streams one process serves at most: each holds a thread while it lasts.
    static let maxStreams = 256

    /// Counts a new stream in; false when the process already serves `maxStreams`.
    func enter() -> Bool {
        if streams.add(1, ordering: .relaxed).newValue <= Self.maxStreams { return true }
        streams.subtract(1, ordering: .relaxed)
        return false
    }

    func leave() { streams.subtract(1, ordering: .relaxed) }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        counts.broadcast()
    }

    private func start() {
        guard started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        Thread.spawn(name: "event-hub") { [self] in
            let listener = Listener(url: databaseURL, channels: [JobEvents.channel])
            while !stopped.load(ordering: .relaxed) {
                let received = listener.wait(timeout: 0.5)
                guard !received.isEmpty else { continue }
                counts.withLock { counts in
                    // Forgetting every count wakes the waiting streams once: they only query again.
                    if counts.count > 100_000 { counts.removeAll() }
                    for notification in received { counts[notification.payload, default: 0] &+= 1 }
                }
                counts.broadcast()
            }
        }
    }
}
