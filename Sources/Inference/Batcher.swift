import Platform

/// Gathers concurrent requests into batches: the first request waits up to `window` seconds
/// for others (or until `maxBatch` are waiting), then one of `threads` inference threads runs
/// them together. Callers block until their own result is ready; a failed batch fails each
/// of its requests with the batch's error.
public final class Batcher<Input: Sendable, Output: Sendable>: Sendable {
    final class Pending: Sendable {
        let input: Input
        let arrived: Double
        let result = ConditionLock<Result<Output, any Error>?>(nil)
        init(_ input: Input, arrived: Double) {
            self.input = input
            self.arrived = arrived
        }
    }

    struct Queue {
        var waiting: [Pending] = []
        var stopped = false
    }

    public let maxBatch: Int
    public let window: Double
    private let queue = ConditionLock(Queue())
    private let run: @Sendable ([Input]) throws -> [Output]

    public init(maxBatch: Int, window: Double, threads: Int, run: @escaping @Sendable ([Input]) throws -> [Output]) {
        precondition(maxBatch > 0 && threads > 0)
        self.maxBatch = maxBatch
        self.window = window
        self.run = run
        for _ in 0..<threads {
            Thread.spawn(name: "inference") { [self] in work() }
        }
    }

    /// Runs `input` in the next batch and returns its output.
    public func submit(_ input: Input) throws -> Output {
        let pending = Pending(input, arrived: MonotonicClock.now)
        let accepted = queue.withLock { queue -> Bool in
            guard !queue.stopped else { return false }
            queue.waiting.append(pending)
            return true
        }
        guard accepted else { throw BatcherStopped() }
        queue.broadcast()
        return try pending.result.withLock(when: { $0 != nil }) { result, _ in result! }.get()
    }

    /// Stops the threads once the waiting requests are served; later submits throw.
    public func stop() {
        queue.withLock { $0.stopped = true }
        queue.broadcast()
    }

    private func work() {
        while true {
            // Wait for a first request, then for the batch to fill or the window to close.
            let hasWork = queue.withLock(when: { !$0.waiting.isEmpty || $0.stopped }) { queue, _ in !queue.waiting.isEmpty }
            guard hasWork else { return }
            let oldest = queue.withLock { $0.waiting.first?.arrived } ?? MonotonicClock.now
            let wait = max(0, oldest + window - MonotonicClock.now)
            let batch = queue.withLock(when: { $0.waiting.count >= self.maxBatch || $0.stopped }, timeout: wait) { queue, _ in
                let taken = Array(queue.waiting.prefix(maxBatch))
                queue.waiting.removeFirst(taken.count)
                return taken
            }
            guard !batch.isEmpty else { continue }
            let outcome = Result { try run(batch.map(\.input)) }
            for (index, pending) in batch.enumerated() {
                let result: Result<Output, any Error>
                switch outcome {
                case .success(let outputs) where outputs.count == batch.count: result = .success(outputs[index])
                case .success: result = .failure(BatcherMismatch())
                case .failure(let error): result = .failure(error)
                }
                pending.result.withLock { $0 = result }
                pending.result.broadcast()
            }
        }
    }
}

public struct BatcherStopped: Error, CustomStringConvertible {
    public var description: String { "the inference batcher is stopped" }
}

struct BatcherMismatch: Error, CustomStringConvertible {
    var description: String { "a batch returned a different number of outputs than inputs" }
}
