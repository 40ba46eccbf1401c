import HTTP
import Inference
import JSON
import Models
import Platform
import Store
import Tokenizers

/// Classification with a fine-tuned classifier, shared by `POST /predict` and `anneal predict`:
/// the base's tokenizer, logits batched with concurrent callers, and ranked labels.
extension FineTunedModel {
    /// The base model's tokenizer, truncating at the model's limit when `truncate`.
    public func tokenizer(_ cache: TokenizerCache, truncate: Bool) throws -> (tokenizer: Tokenizer, limit: Int) {
        var tokenizer: Tokenizer
        do { tokenizer = try cache.tokenizer(for: base) } catch {
            throw ModelLoadError(.unavailable, model: name, "The tokenizer of \(base.name) cannot be loaded: \(error)")
        }
        let limit = maxTokens
        tokenizer.padding = nil
        tokenizer.truncation = truncate ? Truncation(maxLength: limit) : nil
        return (tokenizer, limit)
    }

    /// Logits for (text, pair) inputs through `classifier` (batched with concurrent callers;
    /// the weights load from the store on the first call).
    public func logits(_ inputs: [(String, String?)], truncate: Bool, tokenizers: TokenizerCache,
                       classifier: Classifier, pool: ConnectionPool) throws -> [[Float]] {
        try requireClassifier()
        let (tokenizer, limit) = try tokenizer(tokenizers, truncate: truncate)
        let encodings = inputs.map { tokenizer.encode($0.0, pair: $0.1) }
        if let long = encodings.firstIndex(where: { $0.ids.count > limit }) {
            throw HTTPError.badRequest("input \(long) has \(encodings[long].ids.count) tokens, more than \(limit); set truncate", param: "inputs", code: "input_too_long")
        }
        let model = self
        return try classifier.logits(Classifier.Request(
            model: name, ids: encodings.map { $0.ids.map(Int32.init) }, types: encodings.map { $0.typeIDs.map(Int32.init) },
            load: { try model.classifier(pool) }))
    }

    /// `[{"label","score"}]` sorted by score: softmax probabilities, or the logits when `raw`.
    public func ranked(_ logits: [Float], raw: Bool, topK: Int?) -> JSONValue {
        let scores = raw ? logits.map(Double.init) : Self.softmax(logits)
        var ranked = zip(manifest.labels, scores).sorted { $0.1 > $1.1 }
        if let topK { ranked = Array(ranked.prefix(topK)) }
        return .array(ranked.map { ["label": .string($0.0), "score": .double($0.1)] })
    }

    static func softmax(_ logits: [Float]) -> [Double] {
        let top = Double(logits.max() ?? 0)
        let exps = logits.map { Math.exp(Double($0) - top) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }
}
