import Platform
import Tensor

/// A parallel-for over a fixed team of Platform threads for the non-GEMM ops.
///
/// Ops split only independent rows (never a reduction across rows), so results do not depend on
/// the thread count. A call made while the team is busy (another caller, or a nested call) runs
/// on its caller's thread.
public enum Parallel {
    private static let current = ConditionLock<ThreadTeam?>(nil)

    /// The number of threads ops use, including the caller's.
    public static var threads: Int { current.withLock { $0?.size ?? 1 } }

    /// Sets the team size (1 runs everything on the caller's thread). A replaced team is left
    /// idle rather than stopped, so calls already running on it finish. With a team, the
    /// engine splits GEMMs itself (`Gemm`), so OpenBLAS is set to one thread.
    public static func setThreads(_ count: Int) {
        precondition(count >= 1 && count <= maxThreads, "Parallel: thread count must be in 1...\(maxThreads)")
        if count > 1 { BLAS.setThreads(1) }
        current.withLock { team in
            if (team?.size ?? 1) != count { team = count > 1 ? ThreadTeam(size: count) : nil }
        }
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
        guard count >= 2 * grain, let team = current.withLock({ $0 }), team.run(count: count, body) else {
            if count > 0 { body(0, 0..<count) }
            return
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
    }

    let size: Int
    private let lock = ConditionLock(State())

    init(size: Int) {
        self.size = size
        for worker in 1..<size {
            Thread.spawn(name: "anneal-op-\(worker)") { [self] in loop(worker: worker) }
        }
    }

    private func range(_ part: Int, of count: Int) -> Range<Int> {
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
                return true
            }
            if !acquired { return false }
            lock.broadcast()
            body(0, range(0, of: count))
            lock.withLock(when: { $0.pending == 0 }) { state, _ in
                state.job = nil
                state.busy = false
            }
            return true
        }
    }

    private func loop(worker: Int) {
        var seen = 0
        while true {
            var count = 0
            var job: Job? = lock.withLock(when: { $0.generation != seen }) { state, _ in
                seen = state.generation
                count = state.count
                return state.job
            }
            job!.body(worker, range(worker, of: count))
            // Drop the closure before reporting: `run` must not return while a worker still
            // holds it (withoutActuallyEscaping traps on an escaped closure).
            job = nil
            lock.withLock { $0.pending -= 1 }
            lock.broadcast()
        }
    }
}
