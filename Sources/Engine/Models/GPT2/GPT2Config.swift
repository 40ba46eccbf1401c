import JSON
import Platform
import Tensor

/// The shape of a GPT-2 model (`gpt2`, `distilgpt2`, …): what its `config.json` says.
public struct GPT2Config: Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numLayers: Int
    public var numHeads: Int
    public var innerSize: Int
    public var maxPositions: Int
    public var layerNormEps: Float

    public var headSize: Int { hiddenSize / numHeads }

    public init(vocabSize: Int, hiddenSize: Int, numLayers: Int, numHeads: Int, innerSize: Int? = nil, maxPositions: Int, layerNormEps: Float = 1e-5) {
        (self.vocabSize, self.hiddenSize, self.numLayers, self.numHeads) = (vocabSize, hiddenSize, numLayers, numHeads)
        (self.innerSize, self.maxPositions, self.layerNormEps) = (innerSize ?? 4 * hiddenSize, maxPositions, layerNormEps)
    }

    /// From a Hugging Face `config.json` of `model_type` gpt2. Options the engine does not
    /// implement (another activation, unscaled or per-layer-scaled attention, cross-attention,
    /// untied output) are refused by name rather than ignored.
    public static func parse(json: JSONValue, path: String = "config.json") throws(CheckpointError) -> GPT2Config {
        guard json["model_type"]?.string == "gpt2" else {
            throw .invalidConfig(path: path, reason: "model_type \(json["model_type"]?.string ?? "(none)") is not gpt2")
        }
        func int(_ key: String) throws(CheckpointError) -> Int {
            guard let value = json[key]?.int, value > 0 else { throw .invalidConfig(path: path, reason: "\(key) must be a positive integer") }
            return value
        }
        let activation = json["activation_function"]?.string ?? "gelu_new"
        guard ["gelu_new", "gelu_pytorch_tanh"].contains(activation) else {
            throw .invalidConfig(path: path, reason: "activation_function \(activation) is not supported (gelu_new is)")
        }
        for (key, expected) in [("scale_attn_weights", true), ("scale_attn_by_inverse_layer_idx", false), ("reorder_and_upcast_attn", false),
                                ("add_cross_attention", false), ("tie_word_embeddings", true)] {
            if let value = json[key]?.bool, value != expected { throw .invalidConfig(path: path, reason: "\(key) \(value) is not supported") }
        }
        let config = GPT2Config(vocabSize: try int("vocab_size"), hiddenSize: try int("n_embd"), numLayers: try int("n_layer"),
                                numHeads: try int("n_head"), innerSize: json["n_inner"]?.int, maxPositions: try int("n_positions"),
                                layerNormEps: Float(json["layer_norm_epsilon"]?.double ?? 1e-5))
        guard config.hiddenSize % config.numHeads == 0 else {
            throw .invalidConfig(path: path, reason: "n_head \(config.numHeads) does not divide n_embd \(config.hiddenSize)")
        }
        return config
    }
}
