import Engine
import Tokenizers

/// A base model to fine-tune for classification: its BERT config, its weights (memory-mapped
/// safetensors) and its tokenizer, from a Hugging Face folder of the catalog.
public struct ClassificationBase: Sendable {
    public let config: BertConfig
    public let weights: SafeTensors
    public let tokenizer: Tokenizer

    public init(config: BertConfig, weights: SafeTensors, tokenizer: Tokenizer) {
        (self.config, self.weights, self.tokenizer) = (config, weights, tokenizer)
    }

    /// The layers LoRA can adapt in this model.
    public var loraLayout: LoRALayout { config.loraLayout }
    /// The positions the model has (the longest input, a prefix's slots included).
    public var positions: Int { config.maxPositions }

    /// The model in `folder` with `tokenizer`.
    public init(folder: String, tokenizer: Tokenizer) throws {
        self.init(config: try BertConfig.load(folder: folder), weights: try SafeTensors(path: folder + "/model.safetensors"), tokenizer: tokenizer)
    }

    /// The BERT-family model `base` (`config.json`, `model.safetensors`, its tokenizer files).
    public static func load(_ base: ModelCatalog.BaseModel) throws(ModelLoadError) -> ClassificationBase {
        guard base.architecture == "bert" else {
            throw ModelLoadError(.unsupported, model: base.name, "\(base.name) is a \(base.architecture) model; classification needs a BERT-family model")
        }
        let tokenizer = try TokenizerLoader.load(base)
        do {
            return ClassificationBase(config: try BertConfig.load(folder: base.path),
                                      weights: try SafeTensors(path: base.path + "/model.safetensors"), tokenizer: tokenizer)
        } catch {
            throw ModelLoadError(.unsupported, model: base.name, "\(base.name) cannot be loaded: \(error)")
        }
    }
}
