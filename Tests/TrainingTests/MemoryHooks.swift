import JSON
import Training

/// TrainingHooks in memory, as the worker implements them over PostgreSQL: checkpoints with
/// best marking and pruning, metrics, and a stop after a given step.
final class MemoryHooks: TrainingHooks {
    struct Saved {
        var id: String
        var step: Int
        var state: JSONValue
        var parts: [String: [UInt8]]
        var isBest: Bool
    }

    var checkpoints: [Saved] = []
    var metrics: [(kind: String, step: Int, values: JSONObject)] = []
    var lastStep = 0
    var stopAfter: Int?
    /// Like `stopAfter`, for a stop that wants a checkpoint first (a worker's shutdown).
    var shutdownAfter: Int?
    private var counter = 0

    struct Stop: Error {}

    func shouldStop() throws {
        if let stopAfter, lastStep >= stopAfter { throw Stop() }
        if let shutdownAfter, lastStep >= shutdownAfter { throw Stop() }
    }

    func savesBeforeStopping(checkpointBytes: Int) -> Bool { shutdownAfter.map { lastStep >= $0 } ?? false }

    func progress(step: Int, totalSteps: Int, epoch: Double, trainedTokens: Int) throws { lastStep = step }

    func metrics(kind: String, step: Int, epoch: Double, values: JSONObject) throws {
        metrics.append((kind, step, values))
    }

    func saveCheckpoint(step: Int, epoch: Double, metrics: JSONValue, state: JSONValue,
                        parts: [(name: String, bytes: [UInt8])], isBest: Bool, keep: Int?) throws -> String {
        counter += 1
        let id = "ckpt-\(counter)"
        checkpoints.removeAll { $0.step == step }
        if isBest { for i in checkpoints.indices { checkpoints[i].isBest = false } }
        var dictionary: [String: [UInt8]] = [:]
        for (name, bytes) in parts { dictionary[name] = bytes }
        checkpoints.append(Saved(id: id, step: step, state: state, parts: dictionary, isBest: isBest))
        if let keep {
            let hasBest = checkpoints.contains { $0.isBest }
            var others = checkpoints.filter { !$0.isBest }.sorted { $0.step > $1.step }
            others = Array(others.prefix(max(0, hasBest ? keep - 1 : keep)))
            checkpoints = checkpoints.filter { c in c.isBest || others.contains { $0.id == c.id } }
        }
        return id
    }

    func latestCheckpoint() throws -> (id: String, state: JSONValue, parts: [String: [UInt8]])? {
        checkpoints.max { $0.step < $1.step }.map { ($0.id, $0.state, $0.parts) }
    }

    func loadCheckpoint(_ id: String) throws -> [String: [UInt8]] {
        checkpoints.first { $0.id == id }!.parts
    }
}
