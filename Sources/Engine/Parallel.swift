import Platform

/// A parallel-for over a fixed team of Platform threads for the non-GEMM ops.
///
/// Ops split only independent rows (never a reduction across rows), so results do not depend on
/// the thread count. The team is shared and used from one training thread at a time.
public enum Parallel {
    nonisolated(unsafe) private static var team: ThreadTeam?

    /// The number of threads ops use, including the caller's.
    public static var threads: Int { team?.size ?? 1 }

    /// Sets the team size (1 runs everything on the caller's thread).
    public static func setThreads(_ count: Int) {
        precondition(count >= 1, "Parallel: thread count must be at least 1")
        if count == threads { return }
        team?.stop()
        team = count > 1 ? ThreadTeam(size: count) : nil
    }

    /// Runs `body` over contiguous ranges covering `0..<count`, in parallel when there are at
    /// least `grain` items per thread.
    public static func forRanges(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard let team, count >= 2 * grain else {
            if count > 0 { body(0..<count) }
            return
        }
        team.run(count: count, body)
    }
}

final class ThreadTeam: @unchecked Sendable {
    private final class Job: @unchecked Sendable {
        let body: (Range<Int>) -> Void
        init(_ body: @escaping (Range<Int>) -> Void) { self.body = body }
    }

    private struct State {
        var generation = 0
        var job: Job?
        var count = 0
        var pending = 0
        var stopped = false
    }

    let size: Int
    private let lock = ConditionLock(State())

    init(size: Int) {
        self.size = size
        for worker in 1..<size {
            Thread.spawn(name: "anneal-op-\(worker)") { [self] in loop(worker: worker) }
        }
    }

    func stop() {
        lock.withLock { $0.stopped = true }
        lock.broadcast()
    }

    private func range(_ part: Int, of count: Int) -> Range<Int> {
        (count * part / size)..<(count * (part + 1) / size)
    }

    func run(count: Int, _ body: (Range<Int>) -> Void) {
        withoutActuallyEscaping(body) { escapable in
            let job = Job(escapable)
            lock.withLock { state in
                state.generation += 1
                state.job = job
                state.count = count
                state.pending = size - 1
            }
            lock.broadcast()
            body(range(0, of: count))
            lock.withLock(when: { $0.pending == 0 }) { state, _ in state.job = nil }
        }
    }

    private func loop(worker: Int) {
        var seen = 0
        while true {
            let next: (Job, Int)? = lock.withLock(when: { $0.generation != seen || $0.stopped }) { state, _ in
                if state.stopped { return nil }
                seen = state.generation
                return (state.job!, state.count)
            }
            guard let (job, count) = next else { return }
            job.body(range(worker, of: count))
            lock.withLock { $0.pending -= 1 }
            lock.broadcast()
        }
    }
}
