import Platform

/// Threads that run blocking handlers (database calls) off the event loops.
final class HandlerPool: Sendable {
    private struct State {
        var work: [@Sendable () -> Void] = []
        var head = 0
        var stopped = false
    }

    private let state = ConditionLock(State())

    init(threads: Int) {
        for _ in 0..<threads {
            Thread.spawn(name: "http-handler") { [self] in run() }
        }
    }

    func submit(_ work: @escaping @Sendable () -> Void) {
        state.withLock { $0.work.append(work) }
        state.broadcast()
    }

    func stop() {
        state.withLock { $0.stopped = true }
        state.broadcast()
    }

    private func run() {
        while true {
            let next: (@Sendable () -> Void)? = state.withLock(when: { $0.head < $0.work.count || $0.stopped }) { state, _ in
                guard state.head < state.work.count else { return nil }
                let work = state.work[state.head]
                state.head += 1
                if state.head > 1024 && state.head * 2 > state.work.count {
                    state.work.removeFirst(state.head)
                    state.head = 0
                }
                return work
            }
            guard let next else { return }
            next()
        }
    }
}
