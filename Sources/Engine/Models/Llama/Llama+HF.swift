import JSON
import Tensor
import Platform

extension LlamaConfig {
    /// From a Hugging Face `config.json` of `model_type` llama. Options the engine does not
    /// implement (rope scaling, biases) are refused by name rather than ignored.
    public static func parse(json: JSONValue, path: String = "config.json") throws(CheckpointError) -> LlamaConfig {
        guard json["model_type"]?.string == "llama" else {
            throw .invalidConfig(path: path, reason: "model_type \(json["model_type"]?.string ?? "(none)") is not llama")
        }
        func int(_ key: String) throws(CheckpointError) -> Int {
            guard let value = json[key]?.int, value > 0 else { throw .invalidConfig(path: path, reason: "\(key) must be a positive integer") }
            return value
        }
        for key in ["rope_scaling", "attention_bias", "mlp_bias"] {
            if let value = json[key], value != .null, value != false {
                throw .invalidConfig(path: path, reason: "\(key) \(value.encoded()) is not supported")
            }
        }
        // transformers 5 writes {"rope_parameters": {"rope_theta", "rope_type"}}; earlier, rope_theta.
        let rope = json["rope_parameters"]
        if let type = rope?["rope_type"]?.string, type != "default" {
            throw .invalidConfig(path: path, reason: "rope_type \(type) is not supported")
        }
        if let act = json["hidden_act"]?.string, act != "silu" { throw .invalidConfig(path: path, reason: "hidden_act \(act) is not supported") }
        let heads = try int("num_attention_heads")
        let config = LlamaConfig(
            vocabSize: try int("vocab_size"), hiddenSize: try int("hidden_size"), numLayers: try int("num_hidden_layers"),
            numHeads: heads, numKVHeads: json["num_key_value_heads"]?.int ?? heads, intermediateSize: try int("intermediate_size"),
            maxPositions: try int("max_position_embeddings"), ropeTheta: json["rope_theta"]?.double ?? rope?["rope_theta"]?.double ?? 10_000,
            rmsNormEps: Float(json["rms_norm_eps"]?.double ?? 1e-6), tiedEmbeddings: json["tie_word_embeddings"]?.bool ?? false)
        guard config.hiddenSize % config.numHeads == 0, config.numHeads % config.numKVHeads == 0,
              json["head_dim"]?.int.map({ $0 == config.headSize }) ?? true else {
            throw .invalidConfig(path: path, reason: "heads do not divide: hidden \(config.hiddenSize), heads \(config.numHeads), key/value heads \(config.numKVHeads)")
        }
        return config
    }
}

extension Llama {
    /// The model of a Hugging Face folder (`config.json`, `model.safetensors`). A missing,
    /// unexpected or wrongly shaped tensor is an error naming it.
    public static func load(folder: String, maxT: Int = 2048) throws(CheckpointError) -> Llama {
        let path = folder + "/config.json"
        guard let bytes = Files.read(path) else { throw .unreadable(path: path, .current) }
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch { throw .invalidConfig(path: path, reason: "\(error)") }
        let model = Llama(config: try LlamaConfig.parse(json: json, path: path), maxT: maxT)
        let file = try SafeTensors(path: folder + "/model.safetensors")
        let expected = hfTensors(model.parameters, config: model.config), c = model.config
        let known = Set(expected.map(\.0))
        if let extra = file.entries.map(\.name).first(where: { !known.contains($0) && !($0 == "lm_head.weight" && c.tiedEmbeddings) }) {
            throw .unexpectedKey(extra)
        }
        for (name, target) in expected {
            guard let entry = file[name] else { throw .missingKey(name) }
            let (pointer, shape) = target.destination
            guard entry.shape == shape else { throw .wrongShape(key: name, expected: shape, found: entry.shape) }
            try file.read(name, into: pointer)
        }
        return model
    }
}

extension Llama {
    /// Hugging Face's name for each tensor of `p` (parameters, or gradients in the same layout).
    static func hfTensors(_ p: LlamaParameters, config c: LlamaConfig) -> [(String, TensorSliceTarget)] {
        var tensors: [(String, TensorSliceTarget)] = [("model.embed_tokens.weight", .whole(p.wte)), ("model.norm.weight", .whole(p.finalNorm))]
        if !c.tiedEmbeddings { tensors.append(("lm_head.weight", .whole(p.lmHead))) }
        let perLayer: [(String, TensorSlice)] = [
            ("input_layernorm.weight", p.attnNorm), ("self_attn.q_proj.weight", p.wq), ("self_attn.k_proj.weight", p.wk),
            ("self_attn.v_proj.weight", p.wv), ("self_attn.o_proj.weight", p.wo), ("post_attention_layernorm.weight", p.ffnNorm),
            ("mlp.gate_proj.weight", p.wGate), ("mlp.up_proj.weight", p.wUp), ("mlp.down_proj.weight", p.wDown),
        ]
        for l in 0..<c.numLayers {
            for (name, slice) in perLayer { tensors.append(("model.layers.\(l).\(name)", .layer(slice, l))) }
        }
        return tensors
    }
}

/// Where one checkpoint tensor goes: a whole slice, or one layer of a stacked one.
enum TensorSliceTarget {
    case whole(TensorSlice)
    case layer(TensorSlice, Int)

    var destination: (UnsafeMutablePointer<Float>, [Int]) {
        switch self {
        case .whole(let slice): (slice.pointer, slice.shape)
        case .layer(let slice, let l):
            (slice.pointer + l * slice.shape.dropFirst().reduce(1, *), Array(slice.shape.dropFirst()))
        }
    }
}
