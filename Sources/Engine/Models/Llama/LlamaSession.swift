import Platform
import Tensor

/// Incremental decoding of one sequence: the keys and values of every position so far, per
/// layer, so each new token costs one row through the model instead of the whole prefix.
/// `append` takes the prompt (prefill), then one token at a time.
public final class LlamaSession {
    public let model: Llama
    /// The adapter applied on top of the shared base weights, if any.
    public let lora: LlamaLoRA?
    /// Positions held so far.
    public private(set) var count = 0
    /// Positions the cache holds at most.
    public let capacity: Int
    let keys: Floats, values: Floats  // (L, capacity, KV), rotary positions applied to the keys

    public init(model: Llama, lora: LlamaLoRA? = nil, capacity: Int? = nil) {
        self.model = model
        self.lora = lora
        self.capacity = min(capacity ?? model.maxT, model.maxT)
        let size = model.config.numLayers * self.capacity * model.config.kvSize
        (keys, values) = (Floats(size), Floats(size))
    }

    /// Runs `ids` at the next positions and returns the logits after the last of them (V).
    public func append(_ ids: [Int32]) -> [Float] {
        let n = ids.count
        precondition(n > 0 && count + n <= capacity, "LlamaSession: \(count) + \(n) positions exceed the capacity \(capacity)")
        let c = model.config, C = c.hiddenSize, KV = c.kvSize, hs = c.headSize, NH = c.numHeads, group = NH / c.numKVHeads
        let s = LayerScratch(config: c, N: n), y = Floats(n * C)
        let positions = (0..<n).map { Int32(count + $0) }, total = count + n, start = count
        model.embed(ids, into: s.x.pointer)
        for l in 0..<c.numLayers {
            model.project(layer: l, s, positions: positions, N: n, lora: lora)
            let k = keys.pointer + l * capacity * KV, v = values.pointer + l * capacity * KV
            (k + start * KV).update(from: s.k.pointer, count: n * KV)
            (v + start * KV).update(from: s.v.pointer, count: n * KV)
            // Each query head against its key/value head over positions 0...its own.
            let scale = 1 / Float(hs).squareRoot()
            BLAS.singleThreaded(flops: 4 * Double(NH * n * total * hs)) {
                Parallel.forParts(NH) { _, heads in
                    let scores = Floats(n * total)
                    for head in heads {
                        let kvHead = (head / group) * hs
                        BLAS.sgemm(transposeA: false, transposeB: true, M: n, N: total, K: hs, alpha: scale,
                                   A: s.q.pointer + head * hs, lda: C, B: k + kvHead, ldb: KV, beta: 0, C: scores.pointer, ldc: total)
                        for i in 0..<n {
                            let row = scores.pointer + i * total
                            for j in (start + i + 1)..<max(total, start + i + 1) { row[j] = -.infinity }
                            Softmax.row(row, row, total)
                        }
                        BLAS.sgemm(transposeA: false, transposeB: false, M: n, N: hs, K: total,
                                   A: scores.pointer, lda: total, B: v + kvHead, ldb: KV, beta: 0, C: y.pointer + head * hs, ldc: C)
                    }
                }
            }
            model.finish(layer: l, s, attention: y.pointer, N: n, lora: lora)
        }
        count = total
        return model.output(s, rows: (n - 1)..<n)
    }
}

extension Llama {
    /// Greedy decoding: up to `count` tokens after `prompt`, ending after a token of `stop` (EOS).
    public func greedy(_ prompt: [Int32], count: Int, stop: Set<Int32> = []) -> [Int32] {
        let session = LlamaSession(model: self, capacity: min(maxT, prompt.count + count))
        var logits = session.append(prompt), generated: [Int32] = []
        while generated.count < count {
            let next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
            generated.append(next)
            if stop.contains(next) || session.count == session.capacity { break }
            logits = session.append([next])
        }
        return generated
    }
}
