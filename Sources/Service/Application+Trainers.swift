import Jobs
import Platform
import Training

extension Application {
    /// Sequence classification for the catalog's BERT-family base models.
    /// Sets the engine's thread team (`Configuration.threads`). Call once at startup, before any
    /// training or inference (the binary does).
    public static func useEngineThreads(_ count: Int) {
        ClassificationTrainer.setThreads(count)
    }

    /// Fine-tuning (LoRA or full) for the catalog's causal language models (GGUF Llama, HF Llama and GPT-2).
    static func causalLMTrainer(catalog: ModelCatalog) -> CausalLMJob {
        CausalLMJob { name in
            guard let base = catalog.model(named: name) else { return nil }
            let model = try LanguageModel.load(base)
            return CausalLMJob.Base(model: model.model, tokenizer: model.tokenizer, template: model.template, eos: model.eos)
        }
    }

    static func bertTrainer(catalog: ModelCatalog) -> BertClassificationJob {
        return BertClassificationJob { name in
            guard let model = catalog.model(named: name) else { return nil }
            return try ClassificationBase(folder: model.path, tokenizer: TokenizerLoader.load(path: model.path))
        }
    }
}
