import Tensor

/// Incremental decoding of one sequence with GPT-2: the keys and values of every position so
/// far, per layer, so each new token costs one row through the model.
public final class GPT2Session: DecodingSession {
    public let model: GPT2
    public let lora: LoRA?
    /// The prefix (prefix tuning), if any: its keys and values fill the cache's first slots.
    public let prefix: PrefixTuning?
    public internal(set) var count = 0
    public let capacity: Int
    let keys: Floats, values: Floats  // (L, capacity, C)

    /// `capacity`: the tokens it holds at most, besides a prefix's slots.
    public init(model: GPT2, lora: LoRA? = nil, prefix: PrefixTuning? = nil, capacity: Int? = nil) {
        (self.model, self.lora, self.prefix) = (model, lora, prefix)
        let P = prefix?.virtualTokens ?? 0, C = model.config.hiddenSize
        self.capacity = min((capacity ?? model.config.maxPositions) + P, model.config.maxPositions)
        let size = model.config.numLayers * self.capacity * C
        (keys, values) = (Floats(size), Floats(size))
        if let prefix {
            precondition(prefix.layout.width == C && prefix.layout.layers == model.config.numLayers && P < self.capacity,
                         "GPT2Session: a prefix of another shape")
            prefix.fill(keys: keys.pointer, values: values.pointer, capacity: self.capacity)
            count = P
        }
    }

    public func append(_ ids: [Int32], everyRow: Bool) -> [Float] {
        let n = ids.count, c = model.config, C = c.hiddenSize, start = count, total = count + n
        precondition(n > 0 && total <= capacity, "GPT2Session: \(count) + \(n) positions exceed the capacity \(capacity)")
        // One set of block buffers serves every layer (nothing is kept for backward), and only
        // the last position gets logits unless every row is asked for.
        let x = Floats(n * C), a = GPT2LayerActivations(config: c, B: 1, T: n, attention: false)
        model.embed(ids, positions: (0..<n).map { Int32(start + $0) }, into: x.pointer)
        for l in 0..<c.numLayers {
            let k = keys.pointer + l * capacity * C, v = values.pointer + l * capacity * C
            model.block(l, x: x.pointer, a, N: n, lora: lora) { qkv, y in
                for r in 0..<n {
                    (k + (start + r) * C).update(from: qkv + r * 3 * C + C, count: C)
                    (v + (start + r) * C).update(from: qkv + r * 3 * C + 2 * C, count: C)
                }
                CachedAttention.forward(out: y, outStride: C, q: qkv, qStride: 3 * C, keys: k, values: v, kvStride: C,
                                        n: n, total: total, heads: c.numHeads, group: 1, hs: c.headSize)
            }
        }
        count = total
        let rows = everyRow ? n : 1, h = Floats(rows * C), mean = Floats(rows), rstd = Floats(rows)
        let logits = Floats(rows * c.vocabSize, zeroed: false)
        model.head(x: x.pointer + (n - rows) * C, h: h.pointer, mean: mean.pointer, rstd: rstd.pointer, logits: logits.pointer, N: rows)
        return Array(UnsafeBufferPointer(start: logits.pointer, count: rows * c.vocabSize))
    }
}

extension GPT2 {
    /// One new token for each of several sequences at once, each with its own session (cache)
    /// and adapter: the linear layers run on all rows together, so each weight matrix is read
    /// once per step for the whole batch; attention runs per sequence against its own cache.
    /// Returns each sequence's next-token logits (V each).
    public func decode(_ sessions: [GPT2Session], _ tokens: [Int32]) -> [[Float]] {
        let n = sessions.count, c = config, C = c.hiddenSize, V = c.vocabSize
        precondition(n > 0 && tokens.count == n, "GPT2.decode: \(tokens.count) tokens for \(n) sessions")
        precondition(sessions.allSatisfy { $0.model === self && $0.count < $0.capacity }, "GPT2.decode: a session of another model, or full")
        let x = Floats(n * C), a = GPT2LayerActivations(config: c, B: 1, T: n, attention: false)
        embed(tokens, positions: sessions.map { Int32($0.count) }, into: x.pointer)
        let adapters = RowAdapters(perRow: sessions.map(\.lora))
        for l in 0..<c.numLayers {
            block(l, x: x.pointer, a, N: n, adapters: adapters) { qkv, y in
                for (r, session) in sessions.enumerated() {
                    let k = session.keys.pointer + l * session.capacity * C, v = session.values.pointer + l * session.capacity * C
                    (k + session.count * C).update(from: qkv + r * 3 * C + C, count: C)
                    (v + session.count * C).update(from: qkv + r * 3 * C + 2 * C, count: C)
                    CachedAttention.forward(out: y + r * C, outStride: C, q: qkv + r * 3 * C, qStride: 3 * C, keys: k, values: v, kvStride: C,
                                            n: 1, total: session.count + 1, heads: c.numHeads, group: 1, hs: c.headSize)
                }
            }
        }
        for session in sessions { session.count += 1 }
        let h = Floats(n * C), mean = Floats(n), rstd = Floats(n), logits = Floats(n * V, zeroed: false)
        head(x: x.pointer, h: h.pointer, mean: mean.pointer, rstd: rstd.pointer, logits: logits.pointer, N: n)
        return (0..<n).map { Array(UnsafeBufferPointer(start: logits.pointer + $0 * V, count: V)) }
    }
}

extension GPT2: CausalLM {
    public var vocabSize: Int { config.vocabSize }
    public var maxT: Int { config.maxPositions }
    public var parameterCount: Int { GPT2Parameters.count(config) }
    public var loraLayout: LoRALayout { config.loraLayout }
    public var prefixLayout: PrefixLayout { config.prefixLayout }
    public func session(lora: LoRA?, prefix: PrefixTuning?, capacity: Int) -> any DecodingSession {
        GPT2Session(model: self, lora: lora, prefix: prefix, capacity: capacity)
    }
    public func decode(_ sessions: [any DecodingSession], _ tokens: [Int32]) -> [[Float]] { decode(sessions.map { $0 as! GPT2Session }, tokens) }
}

extension GPT2Config {
    /// The keys and values a prefix gives each block: the hidden size, all heads.
    public var prefixLayout: PrefixLayout { PrefixLayout(layers: numLayers, width: hiddenSize, heads: numHeads) }
}
