import JSON
import Platform
import Tensor

/// A GPT-2 causal language model: learned positions, pre-LayerNorm blocks with fused QKV
/// attention and a `gelu_new` MLP, the output tied to the token embedding.
public final class GPT2: @unchecked Sendable {
    public let config: GPT2Config
    public let params: Arena
    public let parameters: GPT2Parameters

    public init(config: GPT2Config) {
        self.config = config
        params = Arena(count: GPT2Parameters.count(config))
        parameters = GPT2Parameters(arena: params, config: config)
    }

    /// The model of a Hugging Face folder (`config.json`, `model.safetensors`).
    public static func load(folder: String) throws(CheckpointError) -> GPT2 {
        let path = folder + "/config.json"
        guard let bytes = Files.read(path) else { throw .unreadable(path: path, .current) }
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch { throw .invalidConfig(path: path, reason: "\(error)") }
        let model = GPT2(config: try GPT2Config.parse(json: json, path: path))
        try model.parameters.load(try SafeTensors(path: folder + "/model.safetensors"), config: model.config)
        return model
    }

    /// Next-token logits (B·T rows of V) for B sequences of T tokens each, `ids` row by row.
    /// With `prefix`, every block's attention sees its keys and values first and the tokens'
    /// positions start after them, as PEFT's prefix tuning.
    public func logits(_ ids: [Int32], B: Int, T: Int, lora: LoRA? = nil, prefix: PrefixTuning? = nil) -> [Float] {
        let pass = forward(ids, B: B, T: T, lora: lora, prefix: prefix.map { $0.pass() })
        return Array(UnsafeBufferPointer(start: pass.logits.pointer, count: B * T * config.vocabSize))
    }

    /// The causal-LM loss and token accuracy (forward only), as `lossAndGradients` computes
    /// them: logits only for the scored rows.
    public func loss(_ ids: [Int32], targets: [Int32], B: Int, T: Int, lora: LoRA? = nil) -> TokenLoss {
        loss(ids, targets: targets, B: B, T: T, lora: lora, objective: .mean(dloss: 1))
    }

    /// Any `objective` of the scored tokens' log-probabilities, forward only.
    public func loss(_ ids: [Int32], targets: [Int32], B: Int, T: Int, lora: LoRA?, prefix: PrefixTuning? = nil,
                     objective: TokenObjective) -> TokenLoss {
        let pass = forward(ids, B: B, T: T, lora: lora, prefix: prefix.map { $0.pass() }, logits: false), c = config
        return OutputHead.lossAndGradients(h: pass.hf.pointer, dh: nil, weight: parameters.wte.pointer, dweight: nil, targets: targets,
                                           N: B * T, C: c.hiddenSize, V: c.vocabSize, objective: objective)
    }

    /// The token and position embeddings of `ids` at `positions`, rows of C.
    func embed(_ ids: [Int32], positions: [Int32], into x: UnsafeMutablePointer<Float>) {
        let C = config.hiddenSize, p = parameters
        for (row, id) in ids.enumerated() {
            precondition(id >= 0 && Int(id) < config.vocabSize, "GPT2: token id \(id) is outside the vocabulary of \(config.vocabSize)")
            let word = p.wte.pointer + Int(id) * C, position = p.wpe.pointer + Int(positions[row]) * C, out = x + row * C
            for c in 0..<C { out[c] = word[c] + position[c] }
        }
    }

    /// Block `l` over N rows of the residual stream `x` (updated in place), keeping what
    /// backward needs in `a`; `attend(qkv, y)` fills y (N, C) from the fused projection (N, 3C).
    func block(_ l: Int, x: UnsafeMutablePointer<Float>, _ a: GPT2LayerActivations, N: Int, lora: LoRA?,
               attend: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        block(l, x: x, a, N: N, adapters: RowAdapters(lora), attend: attend)
    }

    /// `block` with an adapter per row (sequences of several fine-tunes decoding together).
    func block(_ l: Int, x: UnsafeMutablePointer<Float>, _ a: GPT2LayerActivations, N: Int, adapters: RowAdapters,
               attend: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let c = config, p = parameters, C = c.hiddenSize, FF = c.innerSize
        a.x.pointer.update(from: x, count: N * C)
        LayerNorm.forward(out: a.h1.pointer, mean: a.mean1.pointer, rstd: a.rstd1.pointer, inp: x, weight: p.ln1w.pointer + l * C,
                          bias: p.ln1b.pointer + l * C, N: N, C: C, eps: c.layerNormEps)
        linear(.attention, layer: l, a.h1.pointer, a.qkv.pointer, N: N, adapters: adapters)
        attend(a.qkv.pointer, a.y.pointer)
        linear(.attentionOutput, layer: l, a.y.pointer, x, N: N, adapters: adapters, accumulate: true)
        a.xmid.pointer.update(from: x, count: N * C)
        LayerNorm.forward(out: a.h2.pointer, mean: a.mean2.pointer, rstd: a.rstd2.pointer, inp: x, weight: p.ln2w.pointer + l * C,
                          bias: p.ln2b.pointer + l * C, N: N, C: C, eps: c.layerNormEps)
        linear(.up, layer: l, a.h2.pointer, a.pre.pointer, N: N, adapters: adapters)
        GELUTanh.forward(out: a.act.pointer, inp: a.pre.pointer, N: N * FF)
        linear(.down, layer: l, a.act.pointer, x, N: N, adapters: adapters, accumulate: true)
    }

    /// The final LayerNorm of x's N rows into `h` and, when given, the logits (N, V) of it.
    func head(x: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
              logits: UnsafeMutablePointer<Float>?, N: Int) {
        let c = config, C = c.hiddenSize
        LayerNorm.forward(out: h, mean: mean, rstd: rstd, inp: x, weight: parameters.lnfw.pointer, bias: parameters.lnfb.pointer,
                          N: N, C: C, eps: c.layerNormEps)
        if let logits { Matmul.forward(out: logits, inp: h, weight: parameters.wte.pointer, bias: nil, N: N, C: C, OC: c.vocabSize) }
    }

    /// The whole forward pass over B sequences of T tokens, every activation kept; the logits
    /// too unless `logits` is false (training computes them for the scored rows only); the
    /// tokens' positions start after the prefix's slots.
    func forward(_ ids: [Int32], B: Int, T: Int, lora: LoRA?, prefix: PrefixPass? = nil, logits: Bool = true) -> GPT2Pass {
        let P = prefix?.prefix.virtualTokens ?? 0
        precondition(ids.count == B * T && P + T <= config.maxPositions,
                     "GPT2: \(ids.count) ids for B \(B) × T \(T) (at most \(config.maxPositions - P) positions)")
        let c = config, C = c.hiddenSize, N = B * T
        let pass = GPT2Pass(config: c, B: B, T: T, P: P, logits: logits)
        embed(ids, positions: (0..<N).map { Int32(P + $0 % T) }, into: pass.x.pointer)
        for (l, a) in pass.layers.enumerated() {
            block(l, x: pass.x.pointer, a, N: N, lora: lora) { qkv, y in
                Attention.forward(out: y, att: a.att.pointer, scratch: nil, qkv: qkv, mask: nil, B: B, T: T, C: C, NH: c.numHeads, causal: true,
                                  prefix: prefix?.attention(layer: l))
            }
        }
        head(x: pass.x.pointer, h: pass.hf.pointer, mean: pass.meanF.pointer, rstd: pass.rstdF.pointer, logits: logits ? pass.logits.pointer : nil, N: N)
        return pass
    }
}

/// One block's saved forward tensors over N = B·T rows, for backward.
final class GPT2LayerActivations {
    let x: Floats, h1: Floats, mean1: Floats, rstd1: Floats, qkv: Floats, att: Floats, y: Floats
    let xmid: Floats, h2: Floats, mean2: Floats, rstd2: Floats, pre: Floats, act: Floats
    init(config c: GPT2Config, B: Int, T: Int, P: Int = 0, attention: Bool = true) {
        let N = B * T, C = c.hiddenSize, FF = c.innerSize
        (x, h1, mean1, rstd1, qkv, y) = (Floats(N * C), Floats(N * C), Floats(N), Floats(N), Floats(N * 3 * C), Floats(N * C))
        att = Floats(attention ? B * c.numHeads * T * (P + T) : 0)
        (xmid, h2, mean2, rstd2, pre, act) = (Floats(N * C), Floats(N * C), Floats(N), Floats(N), Floats(N * FF), Floats(N * FF))
    }
}

/// A forward pass's tensors: the residual stream, each block's activations, the final norm and
/// the logits.
final class GPT2Pass {
    let x: Floats, layers: [GPT2LayerActivations], hf: Floats, meanF: Floats, rstdF: Floats, logits: Floats
    init(config c: GPT2Config, B: Int, T: Int, P: Int, logits withLogits: Bool = true) {
        let N = B * T
        x = Floats(N * c.hiddenSize)
        layers = (0..<c.numLayers).map { _ in GPT2LayerActivations(config: c, B: B, T: T, P: P) }
        (hf, meanF, rstdF, logits) = (Floats(N * c.hiddenSize), Floats(N), Floats(N), Floats(withLogits ? N * c.vocabSize : 0, zeroed: false))
    }
}
