import Tensor

/// Incremental decoding of one sequence with GPT-2: the keys and values of every position so
/// far, per layer, so each new token costs one row through the model.
public final class GPT2Session: DecodingSession {
    public let model: GPT2
    public let lora: LoRA?
    public private(set) var count = 0
    public let capacity: Int
    let keys: Floats, values: Floats  // (L, capacity, C)

    public init(model: GPT2, lora: LoRA? = nil, capacity: Int? = nil) {
        (self.model, self.lora) = (model, lora)
        self.capacity = min(capacity ?? model.config.maxPositions, model.config.maxPositions)
        let size = model.config.numLayers * self.capacity * model.config.hiddenSize
        (keys, values) = (Floats(size), Floats(size))
    }

    public func append(_ ids: [Int32]) -> [Float] {
        let n = ids.count, c = model.config, C = c.hiddenSize, start = count, total = count + n
        precondition(n > 0 && total <= capacity, "GPT2Session: \(count) + \(n) positions exceed the capacity \(capacity)")
        // One set of block buffers serves every layer (nothing is kept for backward), and only
        // the last position gets logits.
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
        let h = Floats(C), mean = Floats(1), rstd = Floats(1), logits = Floats(c.vocabSize, zeroed: false)
        model.head(x: x.pointer + (n - 1) * C, h: h.pointer, mean: mean.pointer, rstd: rstd.pointer, logits: logits.pointer, N: 1)
        return Array(UnsafeBufferPointer(start: logits.pointer, count: c.vocabSize))
    }
}

extension GPT2: CausalLM {
    public var vocabSize: Int { config.vocabSize }
    public var maxT: Int { config.maxPositions }
    public var parameterCount: Int { GPT2Parameters.count(config) }
    public var loraLayout: LoRALayout { config.loraLayout }
    public func session(lora: LoRA?, capacity: Int) -> any DecodingSession { GPT2Session(model: self, lora: lora, capacity: capacity) }
}
