import Jobs
import Platform
import Training

extension Application {
    /// Sequence classification for the catalog's BERT-family base models.
    /// Sets the engine's thread team from `ANNEAL_THREADS` (default: every processor, at most 8).
    /// Call once at startup, before any training or inference (the binary does).
    public static func useEngineThreads() {
        ClassificationTrainer.setThreads(Int(Environment["ANNEAL_THREADS"] ?? "") ?? Environment.processorCount)
    }

    static func bertTrainer(catalog: ModelCatalog) -> BertClassificationJob {
        return BertClassificationJob { name in
            guard let model = catalog.model(named: name) else { return nil }
            return try ClassificationBase(folder: model.path, tokenizer: TokenizerLoader.load(path: model.path))
        }
    }
}
