import GGUF
import Platform
import Tensor

/// A Llama-family causal language model (RMSNorm, rotary positions, grouped-query attention,
/// SwiGLU MLP), for inference: `logits` runs whole sequences, K and V heads repeated to the
/// query heads so the attention op sees ordinary multi-head attention.
public final class Llama: @unchecked Sendable {
    public let config: LlamaConfig
    public let params: Arena
    public let parameters: LlamaParameters
    let cos: [Float], sin: [Float]

    public init(config: LlamaConfig, maxT: Int? = nil) {
        self.config = config
        params = Arena(count: LlamaParameters.count(config))
        parameters = LlamaParameters(arena: params, config: config)
        (cos, sin) = RoPE.tables(maxT: min(maxT ?? config.maxPositions, config.maxPositions), hs: config.headSize, base: config.ropeTheta)
    }

    /// The model of a GGUF file (`llama` architecture), dequantized to float32.
    public static func load(gguf path: String, maxT: Int = 2048) throws(CheckpointError) -> Llama {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw .unreadable(path: path, error) }
        let header: GGUFFile
        do { header = try GGUFFile(bytes: file.bytes) } catch { throw .invalidFile(path: path, reason: error.description) }
        let model = Llama(config: try LlamaConfig(gguf: header), maxT: maxT)
        try model.parameters.load(gguf: header, bytes: file.bytes, config: model.config)
        return model
    }

    /// The longest sequence `logits` takes (the rotary tables' length).
    public var maxT: Int { cos.count / (config.headSize / 2) }

    /// Next-token logits (B·T rows of V) for B sequences of T tokens each, `ids` row by row:
    /// row b·T + t scores the token after position t of sequence b.
    /// With `prefix`, every layer's attention sees its keys and values first and the tokens'
    /// positions start after them, as PEFT's prefix tuning.
    public func logits(_ ids: [Int32], B: Int, T: Int, lora: LoRA? = nil, prefix: PrefixTuning? = nil) -> [Float] {
        output(stream(ids, B: B, T: T, lora: lora, prefix: prefix), rows: 0..<(B * T))
    }

    /// The causal-LM loss and token accuracy (forward only), as `lossAndGradients` computes
    /// them: logits only for the scored rows.
    public func loss(_ ids: [Int32], targets: [Int32], B: Int, T: Int, lora: LoRA? = nil) -> TokenLoss {
        loss(ids, targets: targets, B: B, T: T, lora: lora, objective: .mean(dloss: 1))
    }

    /// Any `objective` of the scored tokens' log-probabilities, forward only.
    public func loss(_ ids: [Int32], targets: [Int32], B: Int, T: Int, lora: LoRA?, prefix: PrefixTuning? = nil,
                     objective: TokenObjective) -> TokenLoss {
        // Padding-free, as lossAndGradients: each sequence up to its last scored position.
        let rows = PackedRows(scoredThrough: targets, B: B, T: T), c = config, N = rows.count
        guard N > 0 else { return TokenLoss(loss: 0, correct: 0, scored: 0) }
        let s = stream(ids, B: B, T: T, lora: lora, prefix: prefix, rows: rows)
        RMSNorm.forward(out: s.h.pointer, rstd: s.rstd.pointer, inp: s.x.pointer, weight: parameters.finalNorm.pointer, N: N, C: c.hiddenSize, eps: c.rmsNormEps)
        return OutputHead.lossAndGradients(h: s.h.pointer, dh: nil, weight: c.tiedEmbeddings ? parameters.wte.pointer : parameters.lmHead.pointer,
                                           dweight: nil, targets: rows.pack(targets), N: N, C: c.hiddenSize, V: c.vocabSize, objective: objective)
    }

    /// The residual stream after the last block (in the scratch's x) for B sequences of T tokens:
    /// all B·T rows, or the packed `rows` (attention still runs in the padded layout).
    func stream(_ ids: [Int32], B: Int, T: Int, lora: LoRA?, prefix: PrefixTuning? = nil, rows: PackedRows? = nil) -> LayerScratch {
        let P = prefix?.virtualTokens ?? 0, table = prefix?.pass()
        defer { withExtendedLifetime(table) {} }
        precondition(ids.count == B * T && P + T <= maxT, "Llama: \(ids.count) ids for B \(B) × T \(T) (at most \(maxT - P) positions)")
        let rows = rows ?? PackedRows(lengths: [Int](repeating: T, count: B), T: T)
        let c = config, C = c.hiddenSize, NH = c.numHeads, N = rows.count
        let s = LayerScratch(config: c, N: N)
        let qkv = Floats(B * T * 3 * C), att = Floats(B * NH * T * (P + T)), y = Floats(B * T * C)
        let packedY = rows.padded == nil ? nil : Floats(N * C)
        let positions = (0..<N).map { Int32(P + rows.row($0) % T) }
        embed(rows.pack(ids), into: s.x.pointer)
        for l in 0..<c.numLayers {
            project(layer: l, s, positions: positions, N: N, adapters: RowAdapters(lora))
            // K and V heads repeated to the query heads, fused as the attention op reads them.
            let group = NH / c.numKVHeads, KV = c.kvSize, hs = c.headSize
            Parallel.forRanges(N, grain: Parallel.grain(3 * C)) { range in
                for r in range {
                    let row = qkv.pointer + rows.row(r) * 3 * C
                    row.update(from: s.q.pointer + r * C, count: C)
                    for head in 0..<NH {
                        let source = (head / group) * hs
                        (row + C + head * hs).update(from: s.k.pointer + r * KV + source, count: hs)
                        (row + 2 * C + head * hs).update(from: s.v.pointer + r * KV + source, count: hs)
                    }
                }
            }
            Attention.forward(out: y.pointer, att: att.pointer, scratch: nil, qkv: qkv.pointer, mask: nil, B: B, T: T, C: C, NH: NH, causal: true,
                              prefix: table?.attention(layer: l, group: group))
            if let packedY { rows.gather(y.pointer, into: packedY.pointer, width: C) }
            finish(layer: l, s, attention: packedY?.pointer ?? y.pointer, N: N, adapters: RowAdapters(lora))
        }
        return s
    }

    /// The token embeddings of `ids`, rows of C.
    func embed(_ ids: [Int32], into x: UnsafeMutablePointer<Float>) {
        let C = config.hiddenSize
        for (row, id) in ids.enumerated() {
            precondition(id >= 0 && Int(id) < config.vocabSize, "Llama: token id \(id) is outside the vocabulary of \(config.vocabSize)")
            (x + row * C).update(from: parameters.wte.pointer + Int(id) * C, count: C)
        }
    }

    /// Layer `l` up to attention: h = RMSNorm(x), then Q (N, C), K and V (N, KV) with the rotary
    /// positions applied to Q and K.
    func project(layer l: Int, _ s: LayerScratch, positions: [Int32], N: Int, adapters: RowAdapters) {
        let c = config, p = parameters, C = c.hiddenSize, KV = c.kvSize
        RMSNorm.forward(out: s.h.pointer, rstd: s.rstd.pointer, inp: s.x.pointer, weight: p.attnNorm.pointer + l * C, N: N, C: C, eps: c.rmsNormEps)
        linear(.q, layer: l, s.h.pointer, s.q.pointer, N: N, adapters: adapters)
        linear(.k, layer: l, s.h.pointer, s.k.pointer, N: N, adapters: adapters)
        linear(.v, layer: l, s.h.pointer, s.v.pointer, N: N, adapters: adapters)
        RoPE.apply(s.q.pointer, positions: positions, cos: cos, sin: sin, rows: N, heads: c.numHeads, hs: c.headSize, stride: C)
        RoPE.apply(s.k.pointer, positions: positions, cos: cos, sin: sin, rows: N, heads: c.numKVHeads, hs: c.headSize, stride: KV)
    }

    /// Layer `l` after attention: x += attention · Woᵀ, then x += SwiGLU MLP of RMSNorm(x)
    /// (each linear layer with the adapters' updates where they target it).
    func finish(layer l: Int, _ s: LayerScratch, attention y: UnsafePointer<Float>, N: Int, adapters: RowAdapters) {
        let c = config, C = c.hiddenSize, FF = c.intermediateSize
        linear(.o, layer: l, y, s.x.pointer, N: N, adapters: adapters, accumulate: true)
        RMSNorm.forward(out: s.h.pointer, rstd: s.rstd.pointer, inp: s.x.pointer, weight: parameters.ffnNorm.pointer + l * C, N: N, C: C, eps: c.rmsNormEps)
        linear(.gate, layer: l, s.h.pointer, s.gate.pointer, N: N, adapters: adapters)
        linear(.up, layer: l, s.h.pointer, s.up.pointer, N: N, adapters: adapters)
        SwiGLU.forward(out: s.act.pointer, gate: s.gate.pointer, up: s.up.pointer, N: N * FF)
        linear(.down, layer: l, s.act.pointer, s.x.pointer, N: N, adapters: adapters, accumulate: true)
    }

    /// Logits (rows.count × V) of the final RMSNorm of x's `rows`.
    func output(_ s: LayerScratch, rows: Range<Int>) -> [Float] {
        let c = config, C = c.hiddenSize, V = c.vocabSize, n = rows.count
        RMSNorm.forward(out: s.h.pointer, rstd: s.rstd.pointer, inp: s.x.pointer + rows.lowerBound * C, weight: parameters.finalNorm.pointer,
                        N: n, C: C, eps: c.rmsNormEps)
        var logits = [Float](repeating: 0, count: n * V)
        logits.withUnsafeMutableBufferPointer { out in
            let head = c.tiedEmbeddings ? parameters.wte.pointer : parameters.lmHead.pointer
            Matmul.forward(out: out.baseAddress!, inp: s.h.pointer, weight: head, bias: nil, N: n, C: C, OC: V)
        }
        return logits
    }
}

/// A float buffer owned by one pass, zeroed unless the caller overwrites it whole.
final class Floats {
    let pointer: UnsafeMutablePointer<Float>
    init(_ count: Int, zeroed: Bool = true) {
        pointer = .allocate(capacity: max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: max(count, 1)) }
    }
    deinit { pointer.deallocate() }
}

/// The per-layer buffers of a forward pass over N rows: the residual stream x, the normed h,
/// Q, K, V, and the MLP's gate, up and activation.
final class LayerScratch {
    let x: Floats, h: Floats, rstd: Floats, q: Floats, k: Floats, v: Floats, gate: Floats, up: Floats, act: Floats
    init(config c: LlamaConfig, N: Int) {
        let C = c.hiddenSize, KV = c.kvSize, FF = c.intermediateSize
        (x, h, rstd, q, k, v) = (Floats(N * C), Floats(N * C), Floats(N), Floats(N * C), Floats(N * KV), Floats(N * KV))
        (gate, up, act) = (Floats(N * FF), Floats(N * FF), Floats(N * FF))
    }
}
