import Engine
import Tokenizers

extension ClassificationTrainer {
    /// A trainer for the base model (`config`, `weights`, `tokenizer`) over the job's files (JSONL bytes).
    public convenience init(config: BertConfig, weights: SafeTensors, tokenizer: Tokenizer, training: [UInt8], validation: [UInt8]?,
                            arguments: TrainingArguments, adapter: AdapterSettings? = nil) throws {
        let dataset = try ClassificationDataset(training: training, validation: validation, arguments: arguments, tokenizer: tokenizer)
        try self.init(config: config, weights: weights, dataset: dataset, arguments: arguments, adapter: adapter)
    }
}
