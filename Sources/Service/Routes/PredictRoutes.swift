import HTTP
import Inference
import Jobs
import JSON
import Models
import Platform
import Store
import Tokenizers

/// `POST /predict` in text-embeddings-inference's shape: `{"model", "inputs": str | [str] |
/// [[str, str]], "raw_scores": false, "truncate": true, "top_k": null}` → `[{"label", "score"}]`
/// sorted by score, or a list of those for a batch, for the tenant's fine-tuned classifiers.
/// Language models (a base or a LoRA fine-tune) generate instead, in text-generation-inference's
/// shape (`CompletionRoutes.predict`).
struct PredictRoutes {
    let pool: ConnectionPool
    let catalog: ModelCatalog
    /// The model's row, kept for a moment between requests (`ModelLookup`).
    let lookup: ModelLookup
    let tokenizers: TokenizerCache
    let classifier: Classifier
    let completions: CompletionRoutes

    func add(to routes: inout RouteTable, limit: ConcurrencyLimit) {
        routes.add("POST", "/predict", RouteOptions(limit: limit)) { request, context in try predict(request, context) }
    }

    func predict(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let body = try request.jsonObject(), tenant = context.tenant
        guard let name = body["model"]?.string else { throw HTTPError.badRequest("model is required", param: "model", code: "missing_parameter") }
        if catalog.model(named: name)?.isLanguageModel == true { return try completions.predict(body, context) }
        // A fine-tune says what it is; a base model that is not generative has no head to classify with.
        let model = try lookup.find(name, tenant: tenant)
        if model.isLanguageModel { return try completions.predict(body, context, tuned: model) }
        let (inputs, single) = try Self.inputs(body["inputs"])
        let raw = body["raw_scores"]?.bool ?? false, truncate = body["truncate"]?.bool ?? true
        var topK: Int?
        if let value = body["top_k"], value != .null {
            guard let k = value.int, k > 0 else { throw HTTPError.badRequest("top_k must be a positive integer", param: "top_k") }
            topK = k
        }
        let logits = try model.logits(inputs, truncate: truncate, tokenizers: tokenizers, classifier: classifier, pool: pool)
        let results = logits.map { model.ranked($0, raw: raw, topK: topK) }
        return .json(single ? results[0] : .array(results))
    }

    /// (text, pair) inputs and whether the request held a single one.
    static func inputs(_ value: JSONValue?) throws(HTTPError) -> ([(String, String?)], Bool) {
        let message = "inputs must be a non-empty string, a non-empty list of strings, or a list of [text, text_pair]"
        if let text = value?.string {
            guard !text.isEmpty else { throw HTTPError.badRequest(message, param: "inputs") }
            return ([(text, nil)], true)
        }
        guard let list = value?.array, !list.isEmpty else { throw HTTPError.badRequest(message, param: "inputs") }
        var result: [(String, String?)] = []
        for item in list {
            if let text = item.string, !text.isEmpty {
                result.append((text, nil))
            } else if let pair = item.array, pair.count == 2, let a = pair[0].string, let b = pair[1].string {
                result.append((a, b))
            } else {
                throw HTTPError.badRequest(message, param: "inputs")
            }
        }
        return (result, false)
    }
}
