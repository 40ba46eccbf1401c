import Glibc
import JSON
import Platform
import Tensor
import Testing
@testable import Engine

/// Parity with HF transformers loading SmolLM2-135M-Instruct from the same GGUF file (fixture
/// from scripts/fixtures/llama.py). The model comes from scripts/fetch-models; without it these
/// tests fail, they do not skip.
@Suite(.serialized) struct LlamaParityTests {
    static let gguf = Fixtures.root + "/models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf"
    static let model = Result { try Llama.load(gguf: gguf, maxT: 128) }
    let fixture: SafeTensors

    init() throws {
        #expect(Files.exists(Self.gguf), "run scripts/fetch-models: \(Self.gguf) is missing")
        fixture = try SafeTensors(path: Fixtures.root + "/Tests/EngineTests/Fixtures/smollm2.safetensors")
    }

    @Test func configFromGGUF() throws {
        let config = try Self.model.get().config
        #expect(config == LlamaConfig(vocabSize: 49152, hiddenSize: 576, numLayers: 30, numHeads: 9, numKVHeads: 3,
                                      intermediateSize: 1536, maxPositions: 8192, ropeTheta: 100_000, rmsNormEps: 1e-5,
                                      tiedEmbeddings: true))
    }

    /// Logits at every position within 1e-3 of transformers (sampled every 193rd vocabulary id)
    /// and the same top token everywhere.
    @Test(arguments: 0..<4) func logits(prompt: Int) throws {
        let model = try Self.model.get()
        let ids = try Fixtures.integers(fixture, "raw/\(prompt)/ids")
        let columns = try fixture.integers("columns").map(Int.init)
        let expected = try fixture.floats("raw/\(prompt)/logits")
        let argmax = try fixture.integers("raw/\(prompt)/argmax")
        let logits = model.logits(ids, B: 1, T: ids.count)
        let V = model.config.vocabSize
        var sampled: [Float] = []
        for t in 0..<ids.count { for column in columns { sampled.append(logits[t * V + column]) } }
        let difference = Fixtures.maxDifference(sampled, expected)
        #expect(difference < 1e-3, "prompt \(prompt): logits differ by \(difference)")
        for t in 0..<ids.count {
            let row = logits[(t * V)..<((t + 1) * V)]
            let best = row.indices.max { row[$0] < row[$1] }! - t * V
            #expect(Int64(best) == argmax[t], "prompt \(prompt), position \(t): top token \(best), transformers \(argmax[t])")
        }
    }

    /// Greedy decoding of 32 tokens gives transformers' tokens (4 raw prompts, 4 chat prompts
    /// rendered with the model's ChatML template); EOS (<|im_end|>, id 2) ends early.
    @Test(arguments: 0..<8) func greedy(prompt: Int) throws {
        let model = try Self.model.get()
        let ids = try Fixtures.integers(fixture, "greedy/\(prompt)/prompt")
        let expected = try Fixtures.integers(fixture, "greedy/\(prompt)/tokens")
        #expect(model.greedy(ids, count: 32, stop: [2]) == expected)
    }
}

/// A random-init Llama saved by transformers (scripts/fixtures/tiny-llama.py): the Hugging Face
/// folder loader and the forward pass with grouped-query attention and untied embeddings.
@Suite struct TinyLlamaParityTests {
    @Test func logitsMatchTransformers() throws {
        let folder = Fixtures.root + "/Tests/EngineTests/Fixtures/tiny-llama"
        let model = try Llama.load(folder: folder, maxT: 16)
        #expect(model.config == LlamaConfig(vocabSize: 96, hiddenSize: 32, numLayers: 2, numHeads: 4, numKVHeads: 2, intermediateSize: 48,
                                            maxPositions: 64, ropeTheta: 500, rmsNormEps: 1e-6, tiedEmbeddings: false))
        let fixture = try SafeTensors(path: Fixtures.root + "/Tests/EngineTests/Fixtures/tiny-llama-logits.safetensors")
        let ids = try Fixtures.integers(fixture, "ids")
        let logits = model.logits(ids, B: 2, T: 7)
        let difference = Fixtures.maxDifference(logits, try fixture.floats("logits"))
        #expect(difference < 1e-4, "logits differ by \(difference)")
        // The session (KV cache) path gives the same last-position logits, token by token.
        let session = LlamaSession(model: model)
        var last: [Float] = []
        for id in ids.prefix(7) { last = session.append([id]) }
        #expect(Fixtures.maxDifference(last, Array(logits[(6 * 96)..<(7 * 96)])) < 1e-5)
    }

    /// Loss and every parameter's gradient against transformers (labels = ids): the loss within
    /// 1e-5, each gradient tensor within 1e-3 relative (by norm).
    @Test func gradientsMatchTransformers() throws {
        let folder = Fixtures.root + "/Tests/EngineTests/Fixtures/tiny-llama"
        let model = try Llama.load(folder: folder, maxT: 16)
        let fixture = try SafeTensors(path: Fixtures.root + "/Tests/EngineTests/Fixtures/tiny-llama-logits.safetensors")
        let ids = try Fixtures.integers(fixture, "ids")
        let targets = (0..<ids.count).map { $0 % 7 == 6 ? Int32(-100) : ids[$0 + 1] }
        let grads = Arena(count: LlamaParameters.count(model.config))
        let loss = model.lossAndGradients(ids, targets: targets, B: 2, T: 7, into: grads).loss
        #expect(abs(loss - (try fixture.floats("loss"))[0]) < 1e-5)
        let tensors = Llama.hfTensors(LlamaParameters(arena: grads, config: model.config), config: model.config)
        #expect(tensors.count == 3 + 2 * 9)
        for (name, target) in tensors {
            let (pointer, shape) = target.destination
            let error = try Fixtures.relativeError(pointer, shape, try fixture.floats("grad/" + name))
            #expect(error < 1e-3, "\(name): relative gradient error \(error)")
        }
    }

    /// A PEFT LoRA (r 4, alpha 8 on q, v, o and down, weights from the fixture): the adapted
    /// logits within 1e-4, the loss within 1e-5, and A's and B's gradients within 1e-3
    /// relative, with no gradient for the frozen base.
    @Test func loraMatchesPEFT() throws {
        let model = try Llama.load(folder: Fixtures.root + "/Tests/EngineTests/Fixtures/tiny-llama", maxT: 16)
        let fixture = try SafeTensors(path: Fixtures.root + "/Tests/EngineTests/Fixtures/tiny-llama-logits.safetensors")
        let lora = try LoRA(layout: model.loraLayout, config: LoRAConfig(r: 4, alpha: 8, targets: ["q_proj", "v_proj", "o_proj", "down_proj"]))
        for (name, pointer, shape) in lora.peftTensors() {
            #expect(fixture[name.replacing("base_model", with: "lora/base_model")]?.shape == shape, "\(name)")
            try fixture.read("lora/" + name, into: pointer)
        }
        let ids = try Fixtures.integers(fixture, "ids")
        let logits = model.logits(ids, B: 2, T: 7, lora: lora)
        #expect(Fixtures.maxDifference(logits, try fixture.floats("lora/logits")) < 1e-4)
        let targets = (0..<ids.count).map { $0 % 7 == 6 ? Int32(-100) : ids[$0 + 1] }
        let loss = model.lossAndGradients(ids, targets: targets, B: 2, T: 7, into: nil, lora: lora).loss
        #expect(abs(loss - (try fixture.floats("lora/loss"))[0]) < 1e-5)
        for (name, pointer, shape) in lora.peftTensors(in: lora.grads) {
            let error = try Fixtures.relativeError(pointer, shape, try fixture.floats("lora/grad/" + name))
            #expect(error < 1e-3, "\(name): relative gradient error \(error)")
        }
        // Merged into a copy of the base, the weights alone give the adapted logits.
        let merged = try Llama.load(folder: Fixtures.root + "/Tests/EngineTests/Fixtures/tiny-llama", maxT: 16)
        lora.merge(into: merged)
        #expect(Fixtures.maxDifference(merged.logits(ids, B: 2, T: 7), logits) < 1e-5)
        let exported = merged.huggingFaceFiles()
        #expect(try LlamaConfig.parse(json: exported.config) == merged.config)
        let path = "/tmp/anneal-llama-export-\(getpid()).safetensors"
        try exported.weights.write(to: path)
        defer { unlink(path) }
        let file = try SafeTensors(path: path)
        #expect(try file.floats("model.layers.1.self_attn.q_proj.weight") == Array(UnsafeBufferPointer(start: merged.parameters.wq.pointer + 32 * 32, count: 32 * 32)))
    }

    @Test func refusesWhatItCannotRun() throws {
        #expect(throws: CheckpointError.self) { try LlamaConfig.parse(json: ["model_type": "llama", "rope_scaling": ["type": "linear"]]) }
        #expect(throws: CheckpointError.self) { try LlamaConfig.parse(json: ["model_type": "gpt2"]) }
    }
}
