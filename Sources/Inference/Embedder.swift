import Engine
import Platform

/// Sentence embeddings from BERT-family model folders, as sentence-transformers computes them
/// (the folder's `1_Pooling` mode, then optional L2 normalisation). Models load on first use
/// and stay cached; requests to one model run one at a time on its single set of activations.
public final class Embedder: Sendable {
    /// Rows per forward pass; longer requests run in several passes.
    public let maxBatch: Int
    private let models = ConditionLock<[String: ConditionLock<Bert>]>([:])

    public init(maxBatch: Int = 8) { self.maxBatch = maxBatch }

    /// The loaded model of `folder`, loading it on first use.
    func model(folder: String, name: String) throws(EmbedError) -> ConditionLock<Bert> {
        if let loaded = models.withLock({ $0[folder] }) { return loaded }
        let model: Bert
        do {
            let config = try BertConfig.load(folder: folder)
            var encoder = config
            encoder.labels = []
            model = Bert(config: encoder, maxB: maxBatch, maxT: min(encoder.maxPositions, 512), trainable: false)
            try BertCheckpoint.load(model, from: SafeTensors(path: folder + "/model.safetensors"))
            model.packForInference()
        } catch {
            throw .unloadable(model: name, reason: "\(error)")
        }
        return models.withLock { cache in
            if let other = cache[folder] { return other }
            let entry = ConditionLock(model)
            cache[folder] = entry
            return entry
        }
    }

    /// One vector per input, in order. `truncate` cuts inputs longer than the model's maximum
    /// sequence length; otherwise they are refused.
    public func embed(folder: String, name: String, inputIds: [[Int]], normalize: Bool, truncate: Bool) throws(EmbedError) -> [[Float]] {
        guard !inputIds.isEmpty else { throw .emptyInput }
        let entry = try model(folder: folder, name: name)
        var failure: EmbedError?
        let vectors: [[Float]] = entry.withLock { model in
            let limit = model.maxT, vocabulary = model.config.vocabSize, C = model.config.hiddenSize
            var sequences: [[Int32]] = []
            for (index, ids) in inputIds.enumerated() {
                if ids.isEmpty { failure = .emptySequence(index: index); return [] }
                if ids.count > limit && !truncate { failure = .tooLong(index: index, length: ids.count, limit: limit); return [] }
                if let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary }) {
                    failure = .invalidToken(index: index, id: bad, vocabulary: vocabulary)
                    return []
                }
                sequences.append(ids.prefix(limit).map { Int32($0) })
            }
            var result: [[Float]] = []
            var start = 0
            while start < sequences.count {
                let chunk = sequences[start..<min(start + model.maxB, sequences.count)]
                let B = chunk.count, T = chunk.map(\.count).max()!
                var ids: [Int32] = [], mask: [Int32] = []
                for sequence in chunk {
                    ids += sequence + [Int32](repeating: 0, count: T - sequence.count)
                    mask += [Int32](repeating: 1, count: sequence.count) + [Int32](repeating: 0, count: T - sequence.count)
                }
                do { try model.forward(BertBatch(B: B, T: T, ids: ids, mask: mask)) } catch {
                    failure = .unloadable(model: name, reason: "\(error)")
                    return []
                }
                let state = model.config.pooling == .cls ? model.hiddenState : []
                for b in 0..<B {
                    var vector: [Float]
                    switch model.config.pooling {
                    case .mean: vector = Array(model.sentenceEmbeddings[(b * C)..<((b + 1) * C)])
                    case .cls: vector = Array(state[(b * T * C)..<(b * T * C + C)])
                    }
                    if normalize { Embedder.normalize(&vector) }
                    result.append(vector)
                }
                start += B
            }
            return result
        }
        if let failure { throw failure }
        return vectors
    }

    /// v / max(‖v‖, 1e-12), as torch.nn.functional.normalize.
    static func normalize(_ vector: inout [Float]) {
        var sum: Double = 0
        for x in vector { sum += Double(x) * Double(x) }
        let scale = Float(1 / max(sum.squareRoot(), 1e-12))
        for i in vector.indices { vector[i] *= scale }
    }
}
