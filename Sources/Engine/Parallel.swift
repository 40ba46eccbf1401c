import Platform
import Synchronization
import Tensor

/// A parallel-for over a fixed team of Platform threads, for the ops and the GEMMs' blocks.
///
/// Element-wise ops split only independent rows, so their bits do not depend on the split; a
/// GEMM's do (`Gemm` splits it in blocks), so a run is bit-identical for a given team size. A
/// call made while the team is busy (another training or inference in the process, or a nested
/// call) runs the same parts one after another on its caller's thread: the same bits, slower.
/// The team is the process's (`setThreads`), or the calling thread's own (`withThreads`).
public enum Parallel {
    private static let current = ConditionLock<ThreadTeam?>(nil)
    private static let local = ThreadLocal<ThreadTeam>()

    /// OpenBLAS set to one thread, once, before the first op. Its own thread count changes
    /// its blocking and so the bits of a GEMM, and it is process-wide: two trainings in one
    /// process must not see it change under them. (`Gemm.splitOverTeam = false`, for
    /// benchmarks only, leaves OpenBLAS's threads to the caller.)
    static let oneBLASThread: Void = BLAS.setThreads(1)

    /// The number of threads ops use, including the caller's.
    public static var threads: Int { team?.size ?? 1 }

    private static var team: ThreadTeam? { local.value ?? current.withLock { $0 } }

    /// Sets the team size (1 runs everything on the caller's thread). A replaced team is left
    /// idle rather than stopped, so calls already running on it finish.
    public static func setThreads(_ count: Int) {
        precondition(count >= 1 && count <= maxThreads, "Parallel: thread count must be in 1...\(maxThreads)")
        current.withLock { team in
            if (team?.size ?? 1) != count { team = count > 1 ? ThreadTeam(size: count) : nil }
        }
    }

    /// Runs `body` with this thread's ops on a team of `count` threads of its own (the caller
    /// and `count - 1` new ones, stopped afterwards), whatever the process's team is.
    public static func withThreads<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        precondition(count >= 1 && count <= maxThreads, "Parallel: thread count must be in 1...\(maxThreads)")
        let team = ThreadTeam(size: count)
        defer { team.stop() }
        return try local.with(team, body)
    }

    /// The smallest number of items per thread worth a wake-up of the team, for items of
    /// `width` floats each: about 16K floats of element-wise work.
    public static func grain(_ width: Int) -> Int { max(1, 16384 / max(width, 1)) }

    /// Runs `body` over contiguous ranges covering `0..<count`, in parallel when there are at
    /// least `grain` items per thread.
    public static func forRanges(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        forParts(count, grain: grain) { _, range in body(range) }
    }

    /// The most threads a team may have; per-thread scratch is sized for it.
    public static let maxThreads = 8

    /// Like `forRanges`, with the index (< `maxThreads`) of the part, for per-thread scratch.
    public static func forParts(_ count: Int, grain: Int = 1, _ body: (Int, Range<Int>) -> Void) {
        if Gemm.splitOverTeam { _ = oneBLASThread }
        guard count >= 2 * grain, let team, team.size > 1 else {
            if count > 0 { body(0, 0..<count) }
            return
        }
        if !team.run(count: count, body) {
            for part in 0..<team.size { body(part, team.range(part, of: count)) }
        }
    }
}

final class ThreadTeam: @unchecked Sendable {
    private final class Job: @unchecked Sendable {
        let body: (Int, Range<Int>) -> Void
        init(_ body: @escaping (Int, Range<Int>) -> Void) { self.body = body }
    }

    private struct State {
        var generation = 0
        var job: Job?
        var count = 0
        var pending = 0
        var busy = false
        var stopped = false
    }

    let size: Int
    private let lock = ConditionLock(State())
    /// `generation` and `pending` mirrored outside the lock, for the spin before a wait: a
    /// forward pass runs ops back to back, and a thread that sleeps between them pays a
    /// wake-up (tens of microseconds) per op, which at a request's few rows is more than the op.
    /// The lock's state stays the truth; these only say when a wait would end at once.
    private let published = Atomic<Int>(0), remaining = Atomic<Int>(0)
    /// How long a thread spins on them before it waits on the lock.
    static let spinSeconds = 100e-6

    /// Spins until `done` or `spinSeconds` pass; whether `done` held.
    private static func spin(_ done: () -> Bool) -> Bool {
        let deadline = MonotonicClock.now + spinSeconds
        var tries = 0
        while !done() {
            tries += 1
            if tries & 63 == 0 && MonotonicClock.now > deadline { return false }
        }
        return true
    }

    init(size: Int) {
        self.size = size
        for worker in 1..<size {
            Thread.spawn(name: "anneal-op-\(worker)") { [self] in loop(worker: worker) }
        }
    }

    func range(_ part: Int, of count: Int) -> Range<Int> {
        (count * part / size)..<(count * (part + 1) / size)
    }

    /// Runs `body` on the team, or returns false at once when the team is busy.
    func run(count: Int, _ body: (Int, Range<Int>) -> Void) -> Bool {
        withoutActuallyEscaping(body) { escapable in
            let job = Job(escapable)
            let acquired = lock.withLock { state in
                if state.busy { return false }
                state.busy = true
                state.generation += 1
                state.job = job
                state.count = count
                state.pending = size - 1
                remaining.store(size - 1, ordering: .relaxed)
                published.store(state.generation, ordering: .releasing)
                return true
            }
            if !acquired { return false }
            lock.broadcast()
            body(0, range(0, of: count))
            _ = Self.spin { remaining.load(ordering: .acquiring) == 0 }
            lock.withLock(when: { $0.pending == 0 }) { state, _ in
                state.job = nil
                state.busy = false
            }
            return true
        }
    }

    /// Ends the workers once they are idle; the team must not be used afterwards.
    func stop() {
        lock.withLock { $0.stopped = true }
        lock.broadcast()
    }

    private func loop(worker: Int) {
        var seen = 0
        while true {
            var count = 0
            _ = Self.spin { published.load(ordering: .acquiring) != seen }
            var job: Job? = lock.withLock(when: { $0.generation != seen || $0.stopped }) { state, _ in
                seen = state.generation
                count = state.count
                return state.stopped ? nil : state.job
            }
            if job == nil { return }
            job!.body(worker, range(worker, of: count))
            // Drop the closure before reporting: `run` must not return while a worker still
            // holds it (withoutActuallyEscaping traps on an escaped closure).
            job = nil
            lock.withLock { state in
                state.pending -= 1
                remaining.subtract(1, ordering: .releasing)  // inside the lock: never against the next job's count
            }
            lock.broadcast()
        }
    }
}
