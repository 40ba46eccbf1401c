import Engine
import Tokenizers

/// A base model to fine-tune for classification: its BERT config, its weights and its tokenizer,
/// read from a Hugging Face folder (`config.json`, `model.safetensors`). The caller loads the
/// tokenizer, whichever files the folder has.
public struct ClassificationBase: Sendable {
    public let config: BertConfig
    public let weights: SafeTensors
    public let tokenizer: Tokenizer

    public init(folder: String, tokenizer: Tokenizer) throws {
        config = try BertConfig.load(folder: folder)
        weights = try SafeTensors(path: folder + "/model.safetensors")
        self.tokenizer = tokenizer
    }
}

extension ClassificationTrainer {
    /// A trainer for `base` over the job's files (JSONL bytes).
    public convenience init(base: ClassificationBase, training: [UInt8], validation: [UInt8]?, arguments: TrainingArguments,
                            lora: LoRAConfig? = nil) throws {
        let dataset = try ClassificationDataset(training: training, validation: validation, arguments: arguments, tokenizer: base.tokenizer)
        try self.init(config: base.config, weights: base.weights, dataset: dataset, arguments: arguments, lora: lora)
    }
}

extension ClassificationTrainer {
    /// The engine's thread team for training and inference (1...8; results are bit-identical
    /// for a given count).
    public static func setThreads(_ count: Int) { Parallel.setThreads(min(max(1, count), Parallel.maxThreads)) }
}
