import JSON
import Tensor

extension GPT2 {
    /// AdamW's groups over `params`: matrices (embeddings and linear weights) take weight decay,
    /// biases and LayerNorm vectors do not.
    public var parameterGroups: [(range: Range<Int>, decay: Bool)] {
        TrainedParameters.groups(GPT2Parameters.layout(config).map { ($0.shape, $0.name.contains("#")) })
    }

    /// The (out, in) weight of linear layer `id` (a LoRA module id) in block `l`.
    public func weight(module id: String, layer l: Int) -> UnsafeMutablePointer<Float>? {
        GPT2Module(rawValue: id).map { $0.tensors(parameters, layer: l, config).weight }
    }

    /// The model as a Hugging Face folder's `config.json` and `model.safetensors` (float32,
    /// GPT2LMHeadModel's names, Conv1D weights back to (in, out)).
    public func huggingFaceFiles() -> (config: JSONValue, weights: SafeTensorsWriter) {
        let c = config
        let json: JSONValue = [
            "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "torch_dtype": "float32",
            "vocab_size": .int(Int64(c.vocabSize)), "n_embd": .int(Int64(c.hiddenSize)), "n_layer": .int(Int64(c.numLayers)),
            "n_head": .int(Int64(c.numHeads)), "n_inner": .int(Int64(c.innerSize)), "n_positions": .int(Int64(c.maxPositions)),
            "layer_norm_epsilon": .double(Double(c.layerNormEps)), "activation_function": "gelu_new", "tie_word_embeddings": true,
        ]
        var writer = SafeTensorsWriter(metadata: ["format": "pt"], keeping: self)
        for ((pattern, shape, conv1D), slice) in zip(GPT2Parameters.layout(c), parameters.all) {
            let stacked = pattern.contains("#"), inner = stacked ? Array(shape.dropFirst()) : shape, count = inner.reduce(1, *)
            for layer in 0..<(stacked ? c.numLayers : 1) {
                let source = UnsafePointer(slice.pointer + (stacked ? layer * count : 0))
                let name = "transformer." + pattern.replacing("#", with: String(layer))
                guard conv1D else {
                    writer.add(name, borrowing: UnsafeBufferPointer(start: source, count: count), shape: inner)
                    continue
                }
                let (rows, columns) = (inner[0], inner[1])  // stored (out, in); Conv1D keeps (in, out)
                writer.add(name, shape: [columns, rows]) { floats in
                    for r in 0..<rows { for k in 0..<columns { floats[k * rows + r] = source[r * columns + k] } }
                }
            }
        }
        return (json, writer)
    }
}
