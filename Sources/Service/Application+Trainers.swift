import Jobs
import Platform
import Training

extension Application {
    /// Sequence classification for the catalog's BERT-family base models.
    /// The engine's threads come from `ANNEAL_THREADS` (default: every processor, at most 8).
    static func bertTrainer(catalog: ModelCatalog) -> BertClassificationJob {
        ClassificationTrainer.setThreads(Int(Environment["ANNEAL_THREADS"] ?? "") ?? Environment.processorCount)
        return BertClassificationJob { name in
            guard let model = catalog.model(named: name) else { return nil }
            return try ClassificationBase(folder: model.path, tokenizer: TokenizerLoader.load(path: model.path))
        }
    }
}
