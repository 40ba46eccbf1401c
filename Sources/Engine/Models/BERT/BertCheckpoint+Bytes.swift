import Tensor

extension BertCheckpoint {
    /// The safetensors file `save` writes, in memory.
    public static func serialized(_ model: Bert) -> [UInt8] {
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        let prefix = model.config.numLabels > 0 ? "bert." : ""
        for (key, slice) in names(model.parameters, config: model.config) {
            let name = key.hasPrefix("classifier.") ? key : prefix + key
            writer.add(name, floats: UnsafeBufferPointer(slice.buffer), shape: slice.shape)
        }
        return writer.bytes()
    }
}
