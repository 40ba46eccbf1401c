import Engine
import Models
import Tensor

extension Classifier {
    /// The head a LoRA classifier trains beside its adapters (PEFT's `modules_to_save`), named
    /// as in BertForSequenceClassification.
    public static func headTensors(_ config: BertConfig) -> [(name: String, shape: [Int], decay: Bool)] {
        [("classifier.weight", [config.numLabels, config.hiddenSize], true), ("classifier.bias", [config.numLabels], false)]
    }

    /// A LoRA fine-tune's adapter (with its head) from the trainer's checkpoint bytes, shaped for
    /// the base `config` with the fine-tune's labels.
    public static func adapter(_ config: BertConfig, lora: LoRAConfig, bytes: [UInt8]) throws -> LoRA {
        let adapter = try LoRA(layout: config.loraLayout, config: lora, trainable: false, saved: headTensors(config))
        guard adapter.params.restore(bytes) else {
            throw ModelLoadError(.unavailable, model: "adapter", "The stored adapter does not fit the base model's config")
        }
        return adapter
    }

    /// An inference model of a LoRA classifier: the base folder's weights with the adapter merged
    /// in and the trained head.
    public static func model(folder: String, labels: [String], lora: LoRAConfig, bytes: [UInt8], maxB: Int = 16) throws -> Bert {
        var config = try BertConfig.load(folder: folder)
        config.labels = labels
        let model = Bert(config: config, maxB: maxB, maxT: min(config.maxPositions, 512), trainable: false)
        model.firstTokenOnly = true  // only logits are read
        _ = try BertCheckpoint.load(model, from: SafeTensors(path: folder + "/model.safetensors"), headOptional: true)
        let adapter = try self.adapter(config, lora: lora, bytes: bytes)
        adapter.merge { model.weight(module: $0, layer: $1) }
        model.parameters.clsw.pointer.update(from: adapter.saved("classifier.weight")!, count: model.parameters.clsw.count)
        model.parameters.clsb.pointer.update(from: adapter.saved("classifier.bias")!, count: model.parameters.clsb.count)
        return model
    }
}
