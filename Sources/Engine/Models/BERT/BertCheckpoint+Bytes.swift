import Tensor

extension BertCheckpoint {
    /// The safetensors file `save` writes, streamed from the model's own memory (which the
    /// writer keeps alive).
    public static func safetensors(_ model: Bert) -> SafeTensorsWriter {
        var writer = SafeTensorsWriter(metadata: ["format": "pt"], keeping: model)
        let prefix = model.config.numLabels > 0 ? "bert." : ""
        for (key, slice) in names(model.parameters, config: model.config) {
            let name = key.hasPrefix("classifier.") ? key : prefix + key
            writer.add(name, borrowing: UnsafeBufferPointer(slice.buffer), shape: slice.shape)
        }
        return writer
    }
}
