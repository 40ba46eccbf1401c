import Tensor

extension Llama {
    /// One new token for each of several sequences at once, each with its own session (cache)
    /// and adapter: the linear layers run on all rows together, so each weight matrix is read
    /// once per step for the whole batch (fine-tunes of this base included); attention runs per
    /// sequence against its own cache. Returns each sequence's next-token logits (V each).
    public func decode(_ sessions: [LlamaSession], _ tokens: [Int32]) -> [[Float]] {
        let n = sessions.count, c = config, C = c.hiddenSize, KV = c.kvSize, V = c.vocabSize
        precondition(n > 0 && tokens.count == n, "Llama.decode: \(tokens.count) tokens for \(n) sessions")
        precondition(sessions.allSatisfy { $0.model === self && $0.count < $0.capacity }, "Llama.decode: a session of another model, or full")
        let s = LayerScratch(config: c, N: n), y = Floats(n * C)
        let positions = sessions.map { Int32($0.count) }, adapters = RowAdapters(perRow: sessions.map(\.lora))
        embed(tokens, into: s.x.pointer)
        for l in 0..<c.numLayers {
            project(layer: l, s, positions: positions, N: n, adapters: adapters)
            for (r, session) in sessions.enumerated() {
                let k = session.keys.pointer + l * session.capacity * KV, v = session.values.pointer + l * session.capacity * KV
                (k + session.count * KV).update(from: s.k.pointer + r * KV, count: KV)
                (v + session.count * KV).update(from: s.v.pointer + r * KV, count: KV)
                CachedAttention.forward(out: y.pointer + r * C, outStride: C, q: s.q.pointer + r * C, qStride: C, keys: k, values: v, kvStride: KV,
                                        n: 1, total: session.count + 1, heads: c.numHeads, group: c.numHeads / c.numKVHeads, hs: c.headSize)
            }
            finish(layer: l, s, attention: y.pointer, N: n, adapters: adapters)
        }
        for session in sessions { session.count += 1 }
        let logits = output(s, rows: 0..<n)
        return (0..<n).map { Array(logits[($0 * V)..<(($0 + 1) * V)]) }
    }
}
