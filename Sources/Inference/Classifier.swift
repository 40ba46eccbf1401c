import Engine
import Platform
import Tensor

/// Sequence classification with fine-tuned BERT models: models load lazily into an LRU
/// `ModelCache` (never evicting one in use), and concurrent requests are gathered by a
/// `Batcher` and run on its inference threads. Returns raw logits per sequence.
public final class Classifier: Sendable {
    public struct Request: Sendable {
        public var model: String
        public var ids: [[Int32]]
        public var types: [[Int32]]
        /// Builds the model on a cache miss.
        public var load: @Sendable () throws -> Bert

        public init(model: String, ids: [[Int32]], types: [[Int32]], load: @escaping @Sendable () throws -> Bert) {
            self.model = model
            self.ids = ids
            self.types = types
            self.load = load
        }
    }

    let cache: ModelCache<ConditionLock<Bert>>
    let batcher: Batcher<Request, [[Float]]>

    /// `window` 0 (the default): a request that finds the inference thread idle runs at once,
    /// and the requests that arrive while a batch runs make up the next one, so a lone request
    /// pays no wait and a busy server still batches.
    public init(capacityBytes: Int, window: Double = 0, threads: Int = 1, maxBatch: Int = 16) {
        let cache = ModelCache<ConditionLock<Bert>>(capacityBytes: capacityBytes)
        self.cache = cache
        batcher = Batcher(maxBatch: maxBatch, window: window, threads: threads) { requests in
            try Classifier.run(requests, cache: cache)
        }
    }

    /// The logits (one row of `labels.count` per sequence) of `request`.
    public func logits(_ request: Request) throws -> [[Float]] { try batcher.submit(request) }

    /// Runs the requests of one batch, all sequences of a model together in passes of maxB.
    static func run(_ requests: [Request], cache: ModelCache<ConditionLock<Bert>>) throws -> [[[Float]]] {
        var results = [[[Float]]](repeating: [], count: requests.count)
        var groups: [String: [Int]] = [:]
        for (i, request) in requests.enumerated() { groups[request.model, default: []].append(i) }
        for (key, members) in groups {
            let load = requests[members[0]].load
            try cache.withModel(key, load: { let model = try load(); return (ConditionLock(model), (BertParameters.count(model.config) + model.packedCount + (model.prefix?.params.count ?? 0)) * 4) }) { lock in
                try lock.withLock { (bert: inout Bert) throws in
                    var sequences: [(request: Int, ids: [Int32], types: [Int32])] = []
                    for i in members {
                        for (ids, types) in zip(requests[i].ids, requests[i].types) { sequences.append((i, ids, types)) }
                    }
                    let NL = bert.config.numLabels
                    var start = 0
                    while start < sequences.count {
                        let chunk = sequences[start..<min(start + bert.maxB, sequences.count)]
                        let B = chunk.count, T = max(1, chunk.map { min($0.ids.count, bert.maxT) }.max()!)
                        var ids = [Int32](repeating: 0, count: B * T), types = ids, mask = ids
                        for (row, sequence) in chunk.enumerated() {
                            for t in 0..<min(sequence.ids.count, T) {
                                ids[row * T + t] = sequence.ids[t]
                                types[row * T + t] = sequence.types[t]
                                mask[row * T + t] = 1
                            }
                        }
                        try bert.forward(BertBatch(B: B, T: T, ids: ids, types: types, mask: mask))
                        for (row, sequence) in chunk.enumerated() {
                            results[sequence.request].append(Array(bert.logits[(row * NL)..<((row + 1) * NL)]))
                        }
                        start += B
                    }
                }
            }
        }
        return results
    }
}
