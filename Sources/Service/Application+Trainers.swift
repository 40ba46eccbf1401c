import Jobs
import Training

extension Application {
    /// Sequence classification for the catalog's BERT-family base models.
    static func bertTrainer(catalog: ModelCatalog) -> BertClassificationJob {
        BertClassificationJob { name in
            guard let model = catalog.model(named: name) else { return nil }
            return try ClassificationBase(folder: model.path, tokenizer: TokenizerLoader.load(path: model.path))
        }
    }
}
