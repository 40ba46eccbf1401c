import Glibc
import JSON
import Platform
import Tensor
import Testing
@testable import Engine

/// Parity with transformers on a tiny random-init GPT-2 it saved (fixture from
/// scripts/fixtures/tiny-gpt2.py): Conv1D weights transposed on load, learned positions,
/// gelu_new, the tied output.
@Suite struct GPT2ParityTests {
    static let folder = Fixtures.root + "/Tests/EngineTests/Fixtures/tiny-gpt2"
    let model: GPT2
    let fixture: SafeTensors
    let ids: [Int32]

    init() throws {
        model = try GPT2.load(folder: Self.folder)
        fixture = try SafeTensors(path: Fixtures.root + "/Tests/EngineTests/Fixtures/tiny-gpt2-logits.safetensors")
        ids = try Fixtures.integers(fixture, "ids")
    }

    /// transformers' `labels = ids`: position t predicts token t + 1, the last one nothing.
    var targets: [Int32] { (0..<ids.count).map { $0 % 7 == 6 ? Int32(-100) : ids[$0 + 1] } }

    @Test func logitsMatchTransformers() throws {
        #expect(model.config == GPT2Config(vocabSize: 96, hiddenSize: 32, numLayers: 2, numHeads: 4, innerSize: 128, maxPositions: 64))
        let logits = model.logits(ids, B: 2, T: 7)
        let difference = Fixtures.maxDifference(logits, try fixture.floats("logits"))
        #expect(difference < 1e-4, "logits differ by \(difference)")
        // The session (KV cache) path gives the same logits, token by token and as a prefill.
        let session = GPT2Session(model: model)
        for t in 0..<7 {
            let step = session.append([ids[7 + t]])
            #expect(Fixtures.maxDifference(step, Array(logits[((7 + t) * 96)..<((8 + t) * 96)])) < 1e-5, "position \(t)")
        }
        let prefill = GPT2Session(model: model).append(Array(ids.prefix(7)))
        #expect(Fixtures.maxDifference(prefill, Array(logits[(6 * 96)..<(7 * 96)])) < 1e-5)
    }

    /// The loss within 1e-5 and every parameter's gradient within 1e-3 relative (by norm),
    /// the reference gradients read through the same loader (so Conv1D's are transposed too).
    @Test func gradientsMatchTransformers() throws {
        let grads = Arena(count: GPT2Parameters.count(model.config))
        let result = model.lossAndGradients(ids, targets: targets, B: 2, T: 7, into: grads), loss = result.loss
        #expect(abs(loss - (try fixture.floats("loss"))[0]) < 1e-5)
        let forward = model.loss(ids, targets: targets, B: 2, T: 7)
        #expect(forward.loss == loss && forward.correct == result.correct && forward.scored == 12, "the forward-only loss is the same")
        let expected = GPT2(config: model.config)
        try expected.parameters.load(fixture, config: model.config, prefix: "grad/transformer.", strict: false)
        let ours = GPT2Parameters(arena: grads, config: model.config).all, theirs = expected.parameters.all
        #expect(ours.count == 16)
        for (index, (mine, reference)) in zip(ours, theirs).enumerated() {
            let error = try Fixtures.relativeError(mine.pointer, mine.shape, Array(UnsafeBufferPointer(start: reference.pointer, count: reference.count)))
            #expect(error < 1e-3, "\(GPT2Parameters.layout(model.config)[index].name): relative gradient error \(error)")
        }
    }

    /// A PEFT LoRA on c_attn, both c_proj and c_fc (fan_in_fan_out, as PEFT sets for Conv1D):
    /// adapted logits within 1e-4, the loss within 1e-5, A's and B's gradients within 1e-3.
    @Test func loraMatchesPEFT() throws {
        let lora = try LoRA(layout: model.loraLayout, config: LoRAConfig(r: 4, alpha: 8, targets: ["c_attn", "c_proj", "c_fc"]))
        #expect(lora.modules.map(\.id) == ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"])
        for (name, pointer, shape) in lora.peftTensors() {
            #expect(fixture["lora/" + name]?.shape == shape, "\(name)")
            try fixture.read("lora/" + name, into: pointer)
        }
        let logits = model.logits(ids, B: 2, T: 7, lora: lora)
        #expect(Fixtures.maxDifference(logits, try fixture.floats("lora/logits")) < 1e-4)
        let loss = model.lossAndGradients(ids, targets: targets, B: 2, T: 7, into: nil, lora: lora).loss
        #expect(abs(loss - (try fixture.floats("lora/loss"))[0]) < 1e-5)
        for (name, pointer, shape) in lora.peftTensors(in: lora.grads) {
            let error = try Fixtures.relativeError(pointer, shape, try fixture.floats("lora/grad/" + name))
            #expect(error < 1e-3, "\(name): relative gradient error \(error)")
        }
        // Merged into a copy of the base, the adapter's logits come from the weights alone; the copy
        // written as a Hugging Face folder and read back gives them again.
        let merged = try GPT2.load(folder: Self.folder)
        lora.merge(into: merged)
        #expect(Fixtures.maxDifference(merged.logits(ids, B: 2, T: 7), logits) < 1e-5)
        let folder = "/tmp/anneal-gpt2-export-\(getpid())"
        mkdir(folder, 0o755)
        defer { for name in ["config.json", "model.safetensors"] { unlink(folder + "/" + name) }; rmdir(folder) }
        let (json, weights) = merged.huggingFaceFiles()
        try Files.write(folder + "/config.json", json.encodedBytes())
        try weights.write(to: folder + "/model.safetensors")
        #expect(Fixtures.maxDifference(try GPT2.load(folder: folder).logits(ids, B: 2, T: 7), logits) < 1e-5)
        let (config, _) = lora.peftFiles(base: "tiny-gpt2")
        #expect(config["fan_in_fan_out"] == true)
        #expect(config["target_modules"] == ["c_attn", "c_proj", "c_fc"])
    }

    /// lora_dropout: while a dropout seed is set, the adapters see a dropped input (the loss
    /// changes) and the gradients of A and B match finite differences of that same loss.
    @Test func loraDropoutGradients() throws {
        let lora = try LoRA(layout: model.loraLayout, config: LoRAConfig(r: 4, alpha: 8, targets: ["c_attn", "c_fc"], dropout: 0.3), seed: 2)
        for i in 0..<lora.params.count { lora.params.pointer[i] = Float(Int(SplitMix.hash(seed: 8, index: i) % 2001) - 1000) / 2000 }
        let plain = model.loss(ids, targets: targets, B: 2, T: 7, lora: lora).loss
        lora.dropoutSeed = 77
        let dropped = model.loss(ids, targets: targets, B: 2, T: 7, lora: lora).loss
        #expect(abs(dropped - plain) > 1e-4, "dropout changes the loss")
        lora.grads.zero()
        _ = model.lossAndGradients(ids, targets: targets, B: 2, T: 7, into: nil, lora: lora)
        #expect(lora.dropoutSeed == 77)
        for index in stride(from: 3, to: lora.params.count, by: lora.params.count / 12) {
            let saved = lora.params.pointer[index], eps: Float = 1e-2
            lora.params.pointer[index] = saved + eps
            let up = model.loss(ids, targets: targets, B: 2, T: 7, lora: lora).loss
            lora.params.pointer[index] = saved - eps
            let down = model.loss(ids, targets: targets, B: 2, T: 7, lora: lora).loss
            lora.params.pointer[index] = saved
            let numeric = (up - down) / (2 * eps), analytic = lora.grads.pointer[index]
            #expect(abs(numeric - analytic) <= 2e-3 + 0.02 * abs(analytic), "parameter \(index): \(analytic) against \(numeric)")
        }
    }

    /// Greedy decoding through the session matches transformers' `generate` on a GPT-2 folder
    /// with a real vocabulary (scripts/fixtures/gpt2-folder.py), stopping at <|endoftext|> (0).
    @Test func greedyMatchesTransformers() throws {
        let root = Fixtures.root + "/Tests/ServiceTests/Fixtures/"
        let model = try GPT2.load(folder: root + "tiny-gpt2")
        let cases = try JSONValue(parsing: try #require(Files.read(root + "tiny-gpt2-greedy.json")))
        for item in try #require(cases.array) {
            let prompt = (item["prompt_ids"]?.array ?? []).compactMap(\.int).map(Int32.init)
            let expected = (item["ids"]?.array ?? []).compactMap(\.int).map(Int32.init)
            #expect(!prompt.isEmpty && model.greedy(prompt, count: 12, stop: [0]) == expected, "\(item)")
        }
    }

    /// Full fine-tuning's weight decay: matrices (embeddings, linear weights) yes; biases and
    /// LayerNorm vectors, stacked per layer or not, no. The groups tile the arena.
    @Test func weightDecayGroups() {
        let groups = model.parameterGroups, names = GPT2Parameters.layout(model.config).map(\.name)
        #expect(groups.map(\.range.count).reduce(0, +) == model.params.count && groups.count == names.count)
        let decayed = Set(zip(names, groups).filter { $0.1.decay }.map(\.0))
        #expect(decayed == ["wte.weight", "wpe.weight", "h.#.attn.c_attn.weight", "h.#.attn.c_proj.weight", "h.#.mlp.c_fc.weight", "h.#.mlp.c_proj.weight"])
    }

    @Test func refusesWhatItCannotRun() throws {
        let base: JSONObject = ["model_type": "gpt2", "vocab_size": 96, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 64]
        #expect(throws: Never.self) { try GPT2Config.parse(json: .object(base)) }
        for (key, value) in [("activation_function", JSONValue.string("relu")), ("scale_attn_by_inverse_layer_idx", true),
                             ("tie_word_embeddings", false), ("model_type", "llama")] {
            var config = base
            config[key] = value
            #expect(throws: CheckpointError.self, "\(key)") { try GPT2Config.parse(json: .object(config)) }
        }
        #expect(throws: LoRAError.self) { try LoRA(layout: model.loraLayout, config: LoRAConfig(r: 4, alpha: 8, targets: ["q_proj"])) }
    }
}
