import Engine

extension ModelCatalog.BaseModel {
    /// Whether adapters (LoRA, prefix tuning) are implemented for this architecture (BERT classifiers and the
    /// causal language models); others are fine-tuned in full.
    public var takesAdapter: Bool { isLanguageModel || architecture == "bert" }

    /// The layers LoRA can adapt, from the config alone (no weights loaded).
    public func loraLayout() throws(ModelLoadError) -> LoRALayout {
        guard architecture == "bert" else { return try CausalLMBase.loraLayout(self) }
        do { return try BertConfig.load(folder: path).loraLayout } catch {
            throw ModelLoadError(.unsupported, model: name, "\(name) cannot be loaded: \(error)")
        }
    }
}
