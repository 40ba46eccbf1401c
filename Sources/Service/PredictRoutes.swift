import HTTP
import Inference
import Jobs
import JSON
import Platform
import Store
import Tokenizers

/// `POST /predict` in text-embeddings-inference's shape: `{"model", "inputs": str | [str] |
/// [[str, str]], "raw_scores": false, "truncate": true, "top_k": null}` → `[{"label", "score"}]`
/// sorted by score, or a list of those for a batch. Only the tenant's fine-tuned classifiers.
struct PredictRoutes {
    let pool: ConnectionPool
    let catalog: ModelCatalog
    let tokenizers: TokenizerCache
    let classifier: Classifier

    func add(to routes: inout RouteTable) {
        routes.add("POST", "/predict") { request, context in try predict(request, tenant: context.tenant) }
    }

    func predict(_ request: HTTPRequest, tenant: String) throws -> HTTPResponse {
        let body = try request.jsonObject()
        guard let name = body["model"]?.string else { throw HTTPError.badRequest("model is required", param: "model", code: "missing_parameter") }
        let (inputs, single) = try Self.inputs(body["inputs"])
        let raw = body["raw_scores"]?.bool ?? false, truncate = body["truncate"]?.bool ?? true
        var topK: Int?
        if let value = body["top_k"], value != .null {
            guard let k = value.int, k > 0 else { throw HTTPError.badRequest("top_k must be a positive integer", param: "top_k") }
            topK = k
        }
        if catalog.model(named: name) != nil {
            throw HTTPError.badRequest("\(name) is a base model without a classification head; fine-tune it first", param: "model", code: "model_without_head")
        }
        let row = try pool.withConnection { connection in
            try connection.query("""
                SELECT base_model, checkpoint_id, labels::text AS labels FROM model WHERE id = \(name) AND tenant_id = \(tenant)
                """).first
        }
        guard let row else { throw HTTPError.notFound("The model \(name) does not exist", param: "model") }
        guard let checkpoint = try row.decode(String?.self, "checkpoint_id"),
              let labelText = try row.decode(String?.self, "labels"),
              let labels = try JSONValue(parsing: Array(labelText.utf8)).array?.compactMap(\.string),
              let base = catalog.model(named: try row.decode(String.self, "base_model")) else {
            throw HTTPError.badRequest("\(name) has no stored classification weights", param: "model", code: "model_without_head")
        }
        var tokenizer: Tokenizer
        do { tokenizer = try tokenizers.tokenizer(for: base) } catch {
            throw HTTPError(.internalServerError, "The tokenizer of \(base.name) cannot be loaded: \(error)", param: "model", code: "model_unavailable")
        }
        let limit = min(512, EmbedRoutes.maxPositions(base.path))
        tokenizer.padding = nil
        tokenizer.truncation = truncate ? Truncation(maxLength: limit) : nil
        let encodings = inputs.map { tokenizer.encode($0.0, pair: $0.1) }
        if let long = encodings.firstIndex(where: { $0.ids.count > limit }) {
            throw HTTPError.badRequest("input \(long) has \(encodings[long].ids.count) tokens, more than \(limit); set truncate", param: "inputs", code: "input_too_long")
        }
        let store = CheckpointStore(pool: pool), folder = base.path
        let logits = try classifier.logits(Classifier.Request(
            model: name, ids: encodings.map { $0.ids.map(Int32.init) }, types: encodings.map { $0.typeIDs.map(Int32.init) },
            load: {
                guard let params = try store.load(checkpoint, part: "params")["params"] else {
                    throw HTTPError(.internalServerError, "The weights of \(name) are missing", param: "model", code: "model_unavailable")
                }
                return try Classifier.model(folder: folder, labels: labels, params: params)
            }))
        let results: [JSONValue] = logits.map { row in
            let scores = raw ? row.map(Double.init) : Self.softmax(row)
            var ranked = zip(labels, scores).sorted { $0.1 > $1.1 }
            if let topK { ranked = Array(ranked.prefix(topK)) }
            return .array(ranked.map { ["label": .string($0.0), "score": .double($0.1)] })
        }
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

    static func softmax(_ logits: [Float]) -> [Double] {
        let top = Double(logits.max() ?? 0)
        let exps = logits.map { Math.exp(Double($0) - top) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }
}
