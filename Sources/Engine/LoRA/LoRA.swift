import JSON
import Platform
import Tensor

/// LoRA settings, with PEFT's names and meaning: `lora_alpha / r` scales the update (`alpha / √r`
/// with `use_rslora`); `targets` are `target_modules` names, or `["all-linear"]`; `dropout`
/// (`lora_dropout`) drops the adapters' input while training.
public struct LoRAConfig: Sendable, Equatable {
    public var r: Int
    public var alpha: Double
    public var targets: [String]
    public var useRSLoRA: Bool
    public var dropout: Double

    public init(r: Int, alpha: Double, targets: [String], useRSLoRA: Bool = false, dropout: Double = 0) {
        (self.r, self.alpha, self.targets, self.useRSLoRA, self.dropout) = (r, alpha, targets, useRSLoRA, dropout)
    }

    public var scale: Float { Float(useRSLoRA ? alpha / Double(r).squareRoot() : alpha / Double(r)) }
}

/// Low-rank adapters on a model's linear layers: out = x·Wᵀ + scale · (x·Aᵀ)·Bᵀ with A (r, in)
/// and B (out, r) per targeted layer and block; W stays frozen, so only A and B have gradients
/// and optimizer state. Initialised as PEFT does: A uniform in ±1/√in (Kaiming with a = √5),
/// B zero, so a new adapter leaves the model unchanged. The model runs W; `forward` and
/// `backward` add the adapter's path: scale · (dropout(x)·Aᵀ)·Bᵀ, dropout as PEFT's on the
/// adapter's input only, while `dropoutSeed` is set (training).
public final class LoRA: @unchecked Sendable {
    public let config: LoRAConfig
    public let layout: LoRALayout
    /// The adapted modules, in block order.
    public let modules: [LoRALayout.Module]
    /// The adapters' weights, gradients and AdamW moments (the base has none: it is frozen).
    public let trained: TrainedParameters
    public var params: Arena { trained.params }
    public var grads: Arena { trained.grads }
    /// Where each adapted module's A and B start in the arenas: `offsets[l * modules.count + i]`
    /// for `modules[i]` in block `l`; `moduleIndex` finds `i` from a module id.
    let offsets: [Int]
    let moduleIndex: [String: Int]
    /// Whole tensors trained beside the adapters (PEFT's `modules_to_save`: a classifier head),
    /// by their names in the model (`classifier.weight`), after the adapters in the arena.
    public let savedTensors: [(name: String, shape: [Int], decay: Bool)]
    let savedOffsets: [String: Int]
    /// Set by the trainer for each forward/backward pass; nil (evaluation, serving): no dropout.
    public var dropoutSeed: UInt64?

    /// `trainable: false` (serving) allocates no gradients or optimizer moments. `saved`: whole
    /// tensors to train and keep with the adapter (zeroed: the caller copies their start in).
    public init(layout: LoRALayout, config: LoRAConfig, seed: UInt64 = 0, weightDecay: Double = 0, trainable: Bool = true,
                saved: [(name: String, shape: [Int], decay: Bool)] = []) throws(LoRAError) {
        (self.layout, self.config) = (layout, config)
        modules = try layout.selected(config.targets)
        var offsets: [Int] = [], total = 0
        for _ in 0..<layout.layers {
            for module in modules {
                offsets.append(total)
                total += config.r * (module.input + module.output)
            }
        }
        self.offsets = offsets
        moduleIndex = Dictionary(uniqueKeysWithValues: modules.enumerated().map { ($0.element.id, $0.offset) })
        let arena = withSavedTensors([(0..<total, true)], saved)
        (savedTensors, savedOffsets) = (saved, arena.offsets)
        trained = TrainedParameters(params: Arena(count: arena.total), groups: arena.groups, weightDecay: weightDecay, trainable: trainable)
        for l in 0..<layout.layers {
            for (index, module) in modules.enumerated() {
                let offset = offsets[l * modules.count + index], a = params.pointer + offset, bound = 1 / Float(module.input).squareRoot()
                for i in 0..<(config.r * module.input) {
                    let u = SplitMix.hash(seed: seed, index: offset + i)
                    a[i] = (Float(u >> 40) / Float(1 << 24) * 2 - 1) * bound
                }
            }
        }
    }

    /// The saved tensor `name` in `arena` (the parameters by default).
    public func saved(_ name: String, in arena: Arena? = nil) -> UnsafeMutablePointer<Float>? {
        savedOffsets[name].map { (arena ?? params).pointer + $0 }
    }

    /// The arena offset of module `id` in block `l` and the module, nil when not adapted.
    @inline(__always)
    func slot(_ id: String, layer l: Int) -> (offset: Int, module: LoRALayout.Module)? {
        guard let index = moduleIndex[id], l >= 0, l < layout.layers else { return nil }
        return (offsets[l * modules.count + index], modules[index])
    }

    /// A (r, in) and B (out, r) of module `id` in block `l` (nil when not adapted), in `arena`.
    public func matrices(_ id: String, layer l: Int, in arena: Arena? = nil) -> (a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>)? {
        guard let (offset, module) = slot(id, layer: l) else { return nil }
        let base = (arena ?? params).pointer + offset
        return (base, base + config.r * module.input)
    }

    /// The dropout of module `id` in block `l` for this pass: (p, seed), nil when none.
    func dropout(_ id: String, layer l: Int) -> (p: Float, seed: UInt64)? {
        guard config.dropout > 0, let dropoutSeed, let (offset, _) = slot(id, layer: l) else { return nil }
        return (Float(config.dropout), SplitMix.hash(seed: dropoutSeed, index: offset))
    }

    /// out += scale·(dropout(inp)·Aᵀ)·Bᵀ for module `id` of block `l` when adapted. inp: (N, in);
    /// out: (N, out), rows `ldOut` apart (a part of a fused projection's output: BERT's Q, K, V).
    /// Temporaries come from the thread's `ScratchBuffer`: no allocation per call.
    public func forward(_ id: String, layer l: Int, inp: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, N: Int, input: Int, output: Int,
                        ldOut: Int? = nil) {
        guard let (a, b) = matrices(id, layer: l) else { return }
        let r = config.r, drop = dropout(id, layer: l)
        ScratchBuffer.withFloats(N * r + (drop == nil ? 0 : N * input)) { scratch in
            let u = scratch, dropped = scratch + N * r
            var x = inp
            if let (p, seed) = drop {
                Dropout.forward(out: dropped, inp: inp, N: N * input, p: p, seed: seed)
                x = UnsafePointer(dropped)
            }
            Gemm.run(transposeA: false, transposeB: true, M: N, N: r, K: input, A: x, lda: input, B: a, ldb: input, beta: 0, C: u, ldc: r)
            Gemm.run(transposeA: false, transposeB: true, M: N, N: output, K: r, alpha: config.scale, A: u, lda: r, B: b, ldb: r, beta: 1, C: out, ldc: ldOut ?? output)
        }
    }

    /// The adapter's part of a linear layer's backward: dA and dB into `grads`, and
    /// dinp += dropout'(scale·(dout·B)·A). dout's rows are `ldOut` apart, as in `forward`.
    public func backward(_ id: String, layer l: Int, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, dinp: UnsafeMutablePointer<Float>,
                         N: Int, input: Int, output: Int, ldOut: Int? = nil) {
        precondition(grads.count == params.count, "LoRA.backward: the adapter was made with trainable: false")
        guard let (a, b) = matrices(id, layer: l), let (da, db) = matrices(id, layer: l, in: grads) else { return }
        let r = config.r, scale = config.scale, drop = dropout(id, layer: l)
        ScratchBuffer.withFloats(2 * N * r + (drop == nil ? 0 : N * input)) { scratch in
            let u = scratch, du = scratch + N * r, dx = scratch + 2 * N * r
            var x = inp
            if let (p, seed) = drop {
                Dropout.forward(out: dx, inp: inp, N: N * input, p: p, seed: seed)
                x = UnsafePointer(dx)
            }
            Gemm.run(transposeA: false, transposeB: true, M: N, N: r, K: input, A: x, lda: input, B: a, ldb: input, beta: 0, C: u, ldc: r)
            // dB += scale · doutᵀ·u; du = scale · dout·B; dA += duᵀ·x; dinp += dropout'(du·A).
            let ld = ldOut ?? output
            Gemm.run(transposeA: true, transposeB: false, M: output, N: r, K: N, alpha: scale, A: dout, lda: ld, B: u, ldb: r, beta: 1, C: db, ldc: r)
            Gemm.run(transposeA: false, transposeB: false, M: N, N: r, K: output, alpha: scale, A: dout, lda: ld, B: b, ldb: r, beta: 0, C: du, ldc: r)
            Gemm.run(transposeA: true, transposeB: false, M: r, N: input, K: N, A: du, lda: r, B: x, ldb: input, beta: 1, C: da, ldc: input)
            guard let (p, seed) = drop else {
                Gemm.run(transposeA: false, transposeB: false, M: N, N: input, K: r, A: du, lda: r, B: a, ldb: input, beta: 1, C: dinp, ldc: input)
                return
            }
            // x (the dropped input) is no longer needed: its floats take du·A.
            Gemm.run(transposeA: false, transposeB: false, M: N, N: input, K: r, A: du, lda: r, B: a, ldb: input, beta: 0, C: dx, ldc: input)
            Dropout.backward(dinp: dinp, dout: dx, N: N * input, p: p, seed: seed)
        }
    }

    /// Adds the adapters into `model`'s weights (W += scale·B·A), so the model alone computes
    /// what the base with this adapter did.
    public func merge(into model: any CausalLM) { merge { model.weight(module: $0, layer: $1) } }

    /// Adds the adapters into the weights `weight(module id, layer)` gives, each (out, in).
    public func merge(_ weight: (String, Int) -> UnsafeMutablePointer<Float>?) {
        for l in 0..<layout.layers {
            for module in modules {
                guard let w = weight(module.id, l), let (a, b) = matrices(module.id, layer: l) else { continue }
                Gemm.run(transposeA: false, transposeB: false, M: module.output, N: module.input, K: config.r, alpha: config.scale,
                         A: b, lda: config.r, B: a, ldb: module.input, beta: 1, C: w, ldc: module.input)
            }
        }
    }

    /// PEFT's tensor names in `adapter_model.safetensors` with (pointer, shape) in `arena`.
    public func peftTensors(in arena: Arena? = nil) -> [(name: String, pointer: UnsafeMutablePointer<Float>, shape: [Int])] {
        var tensors: [(String, UnsafeMutablePointer<Float>, [Int])] = []
        for l in 0..<layout.layers {
            for module in modules {
                let (a, b) = matrices(module.id, layer: l, in: arena)!
                let stem = "base_model.model.\(layout.blocks).\(l).\(module.id)"
                tensors.append((stem + ".lora_A.weight", a, [config.r, module.input]))
                tensors.append((stem + ".lora_B.weight", b, [module.output, config.r]))
            }
        }
        for (name, shape, _) in savedTensors { tensors.append(("base_model.model." + name, saved(name, in: arena)!, shape)) }
        return tensors
    }

    /// The adapter as a PEFT folder's two files: `adapter_config.json` and
    /// `adapter_model.safetensors` (PEFT's key names), for `PeftModel.from_pretrained` on `base`.
    public func peftFiles(base: String) -> (config: JSONValue, weights: SafeTensorsWriter) {
        var names: [String] = [], savedModules: [String] = []
        for module in modules where !names.contains(String(module.name)) { names.append(String(module.name)) }
        for (name, _, _) in savedTensors {
            let module = String(name.split(separator: ".").dropLast().joined(separator: "."))
            if !savedModules.contains(module) { savedModules.append(module) }
        }
        let config: JSONValue = [
            "peft_type": "LORA", "task_type": .string(layout.taskType), "base_model_name_or_path": .string(base),
            "r": .int(Int64(self.config.r)), "lora_alpha": .double(self.config.alpha), "lora_dropout": .double(self.config.dropout),
            "target_modules": .array(names.map { .string($0) }), "use_rslora": .bool(self.config.useRSLoRA),
            "bias": "none", "fan_in_fan_out": .bool(layout.fanInFanOut), "inference_mode": true,
            "modules_to_save": savedModules.isEmpty ? .null : .array(savedModules.map { .string($0) }),
        ]
        var writer = SafeTensorsWriter(metadata: ["format": "pt"], keeping: self)
        for (name, pointer, shape) in peftTensors() {
            writer.add(name, borrowing: UnsafeBufferPointer(start: pointer, count: shape.reduce(1, *)), shape: shape)
        }
        return (config, writer)
    }
}
