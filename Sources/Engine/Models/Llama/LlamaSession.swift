import Platform
import Tensor

/// Incremental decoding of one sequence: the keys and values of every position so far, per
/// layer, so each new token costs one row through the model instead of the whole prefix.
/// `append` takes the prompt (prefill), then one token at a time.
public final class LlamaSession: DecodingSession {
    public let model: Llama
    /// The adapter applied on top of the shared base weights, if any.
    public let lora: LoRA?
    /// The prefix (prefix tuning), if any: its keys and values fill the cache's first slots.
    public let prefix: PrefixTuning?
    /// Positions held so far.
    public internal(set) var count = 0
    /// Positions the cache holds at most.
    public let capacity: Int
    let keys: Floats, values: Floats  // (L, capacity, KV), rotary positions applied to the keys

    /// `capacity`: the tokens it holds at most, besides a prefix's slots.
    public init(model: Llama, lora: LoRA? = nil, prefix: PrefixTuning? = nil, capacity: Int? = nil) {
        (self.model, self.lora, self.prefix) = (model, lora, prefix)
        let P = prefix?.virtualTokens ?? 0
        self.capacity = min((capacity ?? model.maxT) + P, model.maxT)
        let KV = model.config.kvSize, size = model.config.numLayers * self.capacity * KV
        (keys, values) = (Floats(size), Floats(size))
        if let prefix {
            precondition(prefix.layout.width == KV && prefix.layout.layers == model.config.numLayers && P < self.capacity,
                         "LlamaSession: a prefix of another shape")
            prefix.fill(keys: keys.pointer, values: values.pointer, capacity: self.capacity)
            count = P
        }
    }

    /// Runs `ids` at the next positions: the logits after the last of them (V), or after each with `everyRow`.
    public func append(_ ids: [Int32], everyRow: Bool) -> [Float] {
        let n = ids.count
        precondition(n > 0 && count + n <= capacity, "LlamaSession: \(count) + \(n) positions exceed the capacity \(capacity)")
        let c = model.config, C = c.hiddenSize, KV = c.kvSize
        let s = LayerScratch(config: c, N: n), y = Floats(n * C)
        let positions = (0..<n).map { Int32(count + $0) }, total = count + n, start = count
        model.embed(ids, into: s.x.pointer)
        for l in 0..<c.numLayers {
            model.project(layer: l, s, positions: positions, N: n, adapters: RowAdapters(lora))
            let k = keys.pointer + l * capacity * KV, v = values.pointer + l * capacity * KV
            (k + start * KV).update(from: s.k.pointer, count: n * KV)
            (v + start * KV).update(from: s.v.pointer, count: n * KV)
            CachedAttention.forward(out: y.pointer, outStride: C, q: s.q.pointer, qStride: C, keys: k, values: v, kvStride: KV,
                                    n: n, total: total, heads: c.numHeads, group: c.numHeads / c.numKVHeads, hs: c.headSize)
            model.finish(layer: l, s, attention: y.pointer, N: n, adapters: RowAdapters(lora))
        }
        count = total
        return model.output(s, rows: everyRow ? 0..<n : (n - 1)..<n)
    }
}

extension Llama: CausalLM {
    public var vocabSize: Int { config.vocabSize }
    public var parameterCount: Int { LlamaParameters.count(config) }
    public var loraLayout: LoRALayout { config.loraLayout }
    public var prefixLayout: PrefixLayout { config.prefixLayout }
    public func session(lora: LoRA?, prefix: PrefixTuning?, capacity: Int) -> any DecodingSession {
        LlamaSession(model: self, lora: lora, prefix: prefix, capacity: capacity)
    }
    public func decode(_ sessions: [any DecodingSession], _ tokens: [Int32]) -> [[Float]] { decode(sessions.map { $0 as! LlamaSession }, tokens) }
}

extension LlamaConfig {
    /// The keys and values a prefix gives each layer: the key/value heads' width (PEFT's token_dim with grouped-query attention).
    public var prefixLayout: PrefixLayout { PrefixLayout(layers: numLayers, width: kvSize, heads: numKVHeads) }
}
