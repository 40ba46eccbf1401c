/// The ranks of one job trained data-parallel across processes (MPI, in builds with
/// `ANNEAL_MPI=1`). Every rank runs the same `TrainingLoop` on its shard of each global batch;
/// the loop sums gradients and step figures through this, so every rank takes the same optimizer
/// step. Rank 0 is the one that writes (metrics, checkpoints, progress); the others follow it.
public protocol Collective: AnyObject, Sendable {
    var rank: Int { get }
    var size: Int { get }
    /// Called by every rank before a run's first step: whether every rank is ready (none failed
    /// to load its model or data). A rank whose job failed before it got there calls it with
    /// false afterwards (`joined` tells), so that the others stop instead of waiting.
    func join(ready: Bool) -> Bool
    /// Whether this rank joined the current run.
    var joined: Bool { get }
    /// This rank left a run between steps on an error of its own: the others wait in a step it
    /// will not take, so the gang must be ended (`MPI_Abort`) once the error is recorded.
    func leftMidRun()
    var broken: Bool { get }
    /// Starts the next run: not joined, not broken.
    func reset()
    /// Sums `count` floats at `buffer` over every rank, in place; every rank ends with the same sums.
    func sum(_ buffer: UnsafeMutablePointer<Float>, count: Int)
    /// Sums each value over every rank.
    func sum(_ values: [Double]) -> [Double]
    /// Rank `root`'s bytes, on every rank.
    func broadcast(_ bytes: [UInt8], from root: Int) -> [UInt8]
}

extension Collective {
    /// Rank 0's `value`, on every rank.
    public func broadcast(_ value: Int) -> Int {
        var bytes = [UInt8](repeating: 0, count: 8)
        if rank == 0 { withUnsafeBytes(of: Int64(value)) { bytes = Array($0) } }
        return Int(broadcast(bytes, from: 0).withUnsafeBytes { $0.loadUnaligned(as: Int64.self) })
    }

    /// Rank 0's string, on every rank.
    public func broadcast(_ text: String) -> String {
        String(decoding: broadcast(Array(text.utf8), from: 0), as: UTF8.self)
    }

    /// This rank's part of a micro-batch: the `rank`-th of `size` contiguous shards, the first
    /// ones one example larger when the count does not divide.
    public func shard(_ indices: ArraySlice<Int>) -> ArraySlice<Int> {
        let base = indices.count / size, extra = indices.count % size
        let start = indices.startIndex + rank * base + min(rank, extra)
        return indices[start..<(start + base + (rank < extra ? 1 : 0))]
    }
}

/// One micro-batch of an optimizer step as a rank sees it: its example indices (this rank's
/// shard; all of it in one process) and `share`, the fraction of the whole micro-batch's loss
/// those examples carry (examples, pairs or scored tokens: `TrainingTask.lossUnits`). A rank
/// scales its loss and gradients by its share, so the ranks' sum is the one-process mean.
public struct MicroBatch: Sendable {
    public var indices: ArraySlice<Int>
    public var share: Float
    /// The rank whose shard this is (0 in one process): dropout draws a stream of its own for
    /// each rank, so that shards do not repeat each other's masks.
    public var stream: Int
    public init(_ indices: ArraySlice<Int>, share: Float = 1, stream: Int = 0) {
        (self.indices, self.share, self.stream) = (indices, share, stream)
    }
}

/// What a follower rank throws when rank 0 stopped the run (cancel, pause, shutdown, lost lease).
public struct StoppedByRankZero: Error, Sendable {}

/// What rank 0 throws when another rank could not start the run (its model, data or database
/// failed it): the job is worth another attempt.
public struct RankNotReady: Error, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "a rank of the gang could not start the job (its log says why)" }
}
