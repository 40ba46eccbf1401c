import JSON
import Tensor

extension Llama {
    /// AdamW's groups over `params`: matrices take weight decay, the norms' vectors do not.
    public var parameterGroups: [(range: Range<Int>, decay: Bool)] {
        TrainedParameters.groups(LlamaParameters.layout(config).map { ($0.shape, $0.gguf.contains("#")) })
    }

    /// The (out, in) weight of linear layer `id` (a LoRA module id) in block `l`.
    public func weight(module id: String, layer l: Int) -> UnsafeMutablePointer<Float>? {
        LlamaModule.allCases.first { $0.id == id }.map { $0.weight(parameters, layer: l, config) }
    }

    /// The model as a Hugging Face folder's `config.json` and `model.safetensors` (float32,
    /// transformers' names), for `LlamaForCausalLM.from_pretrained`.
    public func huggingFaceFiles() -> (config: JSONValue, weights: SafeTensorsWriter) {
        let c = config
        let json: JSONValue = [
            "architectures": ["LlamaForCausalLM"], "model_type": "llama", "torch_dtype": "float32",
            "vocab_size": .int(Int64(c.vocabSize)), "hidden_size": .int(Int64(c.hiddenSize)), "num_hidden_layers": .int(Int64(c.numLayers)),
            "num_attention_heads": .int(Int64(c.numHeads)), "num_key_value_heads": .int(Int64(c.numKVHeads)),
            "intermediate_size": .int(Int64(c.intermediateSize)), "max_position_embeddings": .int(Int64(c.maxPositions)),
            "rope_theta": .double(c.ropeTheta), "rms_norm_eps": .double(Double(c.rmsNormEps)), "tie_word_embeddings": .bool(c.tiedEmbeddings),
            "hidden_act": "silu", "attention_bias": false, "mlp_bias": false,
        ]
        var writer = SafeTensorsWriter(metadata: ["format": "pt"], keeping: self)
        for (name, target) in Self.hfTensors(parameters, config: c) {
            let (pointer, shape) = target.destination
            writer.add(name, borrowing: UnsafeBufferPointer(start: pointer, count: shape.reduce(1, *)), shape: shape)
        }
        return (json, writer)
    }
}
