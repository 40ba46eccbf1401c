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

    /// What a prefix gives this model's attention and the positions it has (prefix tuning), from
    /// the config alone.
    public func prefixFit() throws(ModelLoadError) -> (layout: PrefixLayout, positions: Int) {
        guard architecture == "bert" else { return try CausalLMBase.prefixFit(self) }
        do {
            let config = try BertConfig.load(folder: path)
            return (config.prefixLayout, config.maxPositions)
        } catch {
            throw ModelLoadError(.unsupported, model: name, "\(name) cannot be loaded: \(error)")
        }
    }
}
