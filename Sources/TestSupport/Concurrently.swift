import Platform

/// Runs `body(0..<count)` on `count` threads at once and returns when all have finished.
public func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let done = ConditionLock(0)
    for i in 0..<count {
        Thread.spawn(name: "test") {
            body(i)
            done.withLock { $0 += 1 }
            done.broadcast()
        }
    }
    done.withLock(when: { $0 == count }) { _, _ in }
}

/// A thread-safe counter.
final class ConditionLockedCounter: Sendable {
    private let value = ConditionLock(0)
    func next() -> Int { value.withLock { v in v += 1; return v } }
}
