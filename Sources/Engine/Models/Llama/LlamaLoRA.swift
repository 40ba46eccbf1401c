import JSON
import Platform
import Tensor

/// The linear layers of a Llama block, by their Hugging Face (and PEFT `target_modules`) names.
public enum LlamaModule: String, CaseIterable, Sendable {
    case q = "q_proj", k = "k_proj", v = "v_proj", o = "o_proj", gate = "gate_proj", up = "up_proj", down = "down_proj"

    /// (inputs, outputs) of the layer.
    func shape(_ c: LlamaConfig) -> (input: Int, output: Int) {
        switch self {
        case .q, .o: (c.hiddenSize, c.hiddenSize)
        case .k, .v: (c.hiddenSize, c.kvSize)
        case .gate, .up: (c.hiddenSize, c.intermediateSize)
        case .down: (c.intermediateSize, c.hiddenSize)
        }
    }

    /// The frozen base weight of layer `l`, (outputs, inputs).
    func weight(_ p: LlamaParameters, layer l: Int, _ c: LlamaConfig) -> UnsafeMutablePointer<Float> {
        let (input, output) = shape(c)
        let slice: TensorSlice = switch self {
        case .q: p.wq
        case .k: p.wk
        case .v: p.wv
        case .o: p.wo
        case .gate: p.wGate
        case .up: p.wUp
        case .down: p.wDown
        }
        return slice.pointer + l * input * output
    }

    var prefix: String { self == .gate || self == .up || self == .down ? "mlp" : "self_attn" }
}

/// LoRA settings, with PEFT's names and meaning: `lora_alpha / r` scales the update (`alpha / √r`
/// with `use_rslora`).
public struct LoRAConfig: Sendable, Equatable {
    public var r: Int
    public var alpha: Double
    public var targets: [LlamaModule]
    public var useRSLoRA: Bool

    public init(r: Int, alpha: Double, targets: [LlamaModule], useRSLoRA: Bool = false) {
        (self.r, self.alpha, self.targets, self.useRSLoRA) = (r, alpha, targets, useRSLoRA)
    }

    public var scale: Float { Float(useRSLoRA ? alpha / Double(r).squareRoot() : alpha / Double(r)) }
}

/// Low-rank adapters on a Llama's linear layers: out = x·Wᵀ + scale · (x·Aᵀ)·Bᵀ with A (r, in)
/// and B (out, r) per targeted layer and block; W stays frozen, so only A and B have gradients
/// and optimizer state. Initialised as PEFT does: A uniform in ±1/√in (Kaiming with a = √5),
/// B zero, so a new adapter leaves the model unchanged.
public final class LlamaLoRA: @unchecked Sendable {
    public let config: LoRAConfig
    public let model: LlamaConfig
    public let params: Arena, grads: Arena
    /// AdamW's moments for the adapters (the base has none: it is frozen).
    public let m: Arena, v: Arena
    public var optimizer: AdamW
    let offsets: [String: Int]

    public init(model: LlamaConfig, config: LoRAConfig, seed: UInt64 = 0, weightDecay: Double = 0) {
        (self.model, self.config) = (model, config)
        var offsets: [String: Int] = [:], total = 0
        for l in 0..<model.numLayers {
            for module in config.targets {
                let (input, output) = module.shape(model)
                offsets["\(l).\(module.rawValue)"] = total
                total += config.r * input + output * config.r
            }
        }
        self.offsets = offsets
        params = Arena(count: total)
        grads = Arena(count: total)
        (m, v) = (Arena(count: total), Arena(count: total))
        optimizer = AdamW(weightDecay: weightDecay)
        for l in 0..<model.numLayers {
            for module in config.targets {
                let (a, _) = matrices(module, layer: l)!
                let input = module.shape(model).input, bound = 1 / Float(input).squareRoot()
                for i in 0..<(config.r * input) {
                    let u = Dropout.hash(seed: seed, index: (offsets["\(l).\(module.rawValue)"]! + i))
                    a[i] = (Float(u >> 40) / Float(1 << 24) * 2 - 1) * bound
                }
            }
        }
    }

    /// A (r, in) and B (out, r) of `module` in block `l` (nil when not targeted), in `arena`.
    public func matrices(_ module: LlamaModule, layer l: Int, in arena: Arena? = nil) -> (a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>)? {
        guard let offset = offsets["\(l).\(module.rawValue)"] else { return nil }
        let base = (arena ?? params).pointer + offset
        return (base, base + config.r * module.shape(model).input)
    }

    /// Clips the adapters' gradients to `maxGradNorm` (when given) and takes one AdamW step;
    /// returns the norm before clipping.
    public func step(lr: Double, maxGradNorm: Double?) -> Double {
        let ranges = [0..<params.count]
        let norm = maxGradNorm.map { GradientClipping.clip(grads: grads, ranges: ranges, maxNorm: $0) }
            ?? GradientClipping.norm(grads: grads, ranges: ranges)
        optimizer.update(params: params, grads: grads, m: m, v: v, groups: [(0..<params.count, true)], lr: lr)
        return norm
    }

    /// Sets AdamW's update count when resuming (after restoring `m` and `v`).
    public func restoreOptimizerStep(_ step: Int) { optimizer.step = step }

    /// PEFT's tensor names in `adapter_model.safetensors` with (pointer, shape) in `arena`.
    public func peftTensors(in arena: Arena? = nil) -> [(name: String, pointer: UnsafeMutablePointer<Float>, shape: [Int])] {
        var tensors: [(String, UnsafeMutablePointer<Float>, [Int])] = []
        for l in 0..<model.numLayers {
            for module in config.targets {
                let (a, b) = matrices(module, layer: l, in: arena)!
                let (input, output) = module.shape(model)
                let stem = "base_model.model.model.layers.\(l).\(module.prefix).\(module.rawValue)"
                tensors.append((stem + ".lora_A.weight", a, [config.r, input]))
                tensors.append((stem + ".lora_B.weight", b, [output, config.r]))
            }
        }
        return tensors
    }
}

extension Llama {
    /// out = inp·Wᵀ (added to out when `accumulate`), plus scale·(inp·Aᵀ)·Bᵀ when `lora`
    /// targets the module. inp: (N, in); out: (N, out).
    func linear(_ module: LlamaModule, layer l: Int, _ inp: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                N: Int, lora: LlamaLoRA?, accumulate: Bool = false) {
        let (input, output) = module.shape(config)
        Gemm.run(transposeA: false, transposeB: true, M: N, N: output, K: input, A: inp, lda: input,
                 B: module.weight(parameters, layer: l, config), ldb: input, beta: accumulate ? 1 : 0, C: out, ldc: output)
        guard let lora, let (a, b) = lora.matrices(module, layer: l) else { return }
        let r = lora.config.r, u = Floats(N * r)
        Gemm.run(transposeA: false, transposeB: true, M: N, N: r, K: input, A: inp, lda: input, B: a, ldb: input, beta: 0, C: u.pointer, ldc: r)
        Gemm.run(transposeA: false, transposeB: true, M: N, N: output, K: r, alpha: lora.config.scale, A: u.pointer, lda: r,
                 B: b, ldb: r, beta: 1, C: out, ldc: output)
    }

    /// The backward of `linear`: dinp += dout·W (and the adapter's path); the base weight's
    /// gradient into `grads` when given (full fine-tuning); dA and dB into the adapter's grads.
    func linearBackward(_ module: LlamaModule, layer l: Int, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                        dinp: UnsafeMutablePointer<Float>, N: Int, grads: LlamaParameters?, lora: LlamaLoRA?) {
        let (input, output) = module.shape(config)
        let weight = module.weight(parameters, layer: l, config)
        Gemm.run(transposeA: false, transposeB: false, M: N, N: input, K: output, A: dout, lda: output, B: weight, ldb: input, beta: 1, C: dinp, ldc: input)
        if let grads {
            Gemm.run(transposeA: true, transposeB: false, M: output, N: input, K: N, A: dout, lda: output, B: inp, ldb: input,
                     beta: 1, C: module.weight(grads, layer: l, config), ldc: input)
        }
        guard let lora, let (a, b) = lora.matrices(module, layer: l), let (da, db) = lora.matrices(module, layer: l, in: lora.grads) else { return }
        let r = lora.config.r, scale = lora.config.scale, u = Floats(N * r), du = Floats(N * r)
        Gemm.run(transposeA: false, transposeB: true, M: N, N: r, K: input, A: inp, lda: input, B: a, ldb: input, beta: 0, C: u.pointer, ldc: r)
        // dB += scale · doutᵀ·u; du = scale · dout·B; dA += duᵀ·inp; dinp += du·A.
        Gemm.run(transposeA: true, transposeB: false, M: output, N: r, K: N, alpha: scale, A: dout, lda: output, B: u.pointer, ldb: r, beta: 1, C: db, ldc: r)
        Gemm.run(transposeA: false, transposeB: false, M: N, N: r, K: output, alpha: scale, A: dout, lda: output, B: b, ldb: r, beta: 0, C: du.pointer, ldc: r)
        Gemm.run(transposeA: true, transposeB: false, M: r, N: input, K: N, A: du.pointer, lda: r, B: inp, ldb: input, beta: 1, C: da, ldc: input)
        Gemm.run(transposeA: false, transposeB: false, M: N, N: input, K: r, A: du.pointer, lda: r, B: a, ldb: input, beta: 1, C: dinp, ldc: input)
    }
}

extension LlamaLoRA {
    /// The adapter as a PEFT folder's two files: `adapter_config.json` and
    /// `adapter_model.safetensors` (PEFT's key names), for `PeftModel.from_pretrained` on `base`.
    public func peftFiles(base: String) -> (config: JSONValue, weights: [UInt8]) {
        let config: JSONValue = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": .string(base),
            "r": .int(Int64(self.config.r)), "lora_alpha": .double(self.config.alpha), "lora_dropout": 0.0,
            "target_modules": .array(self.config.targets.map { .string($0.rawValue) }), "use_rslora": .bool(self.config.useRSLoRA),
            "bias": "none", "fan_in_fan_out": false, "inference_mode": true, "modules_to_save": .null,
        ]
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        for (name, pointer, shape) in peftTensors() {
            writer.add(name, floats: UnsafeBufferPointer(start: pointer, count: shape.reduce(1, *)), shape: shape)
        }
        return (config, writer.bytes())
    }
}
