import HTTP
import Inference
import JSON

/// `POST /embed` in the shape of Hugging Face's text-embeddings-inference:
/// `{"model", "inputs": str | [str], "normalize": true, "truncate": true}` → `[[float]]`.
/// Until the tokenizer lands, inputs come as token ids: `"input_ids": [[int]]` (or `[int]`).
struct EmbedRoutes {
    let catalog: ModelCatalog
    let embedder: Embedder

    func add(to routes: inout RouteTable) {
        routes.add("POST", "/embed") { request, _ in try embed(request) }
    }

    func embed(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try request.jsonObject()
        let bert = catalog.models.filter { $0.architecture == "bert" }
        let model: ModelCatalog.BaseModel
        if let name = body["model"] {
            guard let text = name.string else { throw HTTPError.badRequest("model must be a string", param: "model") }
            guard let found = catalog.model(named: text) else { throw HTTPError.notFound("The model \(text) does not exist", param: "model") }
            model = found
        } else if bert.count == 1 {
            model = bert[0]
        } else {
            throw HTTPError.badRequest("model is required", param: "model", code: "missing_parameter")
        }
        if body["inputs"] != nil && body["input_ids"] == nil {
            throw HTTPError.badRequest(
                "Text inputs need the tokenizer, which is not available yet; send input_ids", param: "inputs", code: "tokenizer_unavailable")
        }
        let ids = try EmbedRoutes.inputIds(body["input_ids"])
        func flag(_ key: String) throws(HTTPError) -> Bool {
            guard let value = body[key] else { return true }
            guard let bool = value.bool else { throw HTTPError.badRequest("\(key) must be a boolean", param: key) }
            return bool
        }
        let normalize = try flag("normalize"), truncate = try flag("truncate")
        guard model.architecture == "bert" else {
            throw HTTPError.badRequest(EmbedError.unsupportedArchitecture(model: model.name, architecture: model.architecture).description, param: "model", code: "unsupported_model")
        }
        let vectors: [[Float]]
        do {
            vectors = try embedder.embed(folder: model.path, name: model.name, inputIds: ids, normalize: normalize, truncate: truncate)
        } catch {
            if case .unloadable = error { throw HTTPError(.internalServerError, error.description, param: "model", code: "model_unavailable") }
            throw HTTPError.badRequest(error.description, param: "input_ids", code: "invalid_input")
        }
        return .json(.array(vectors.map { vector in .array(vector.map { .double(Double($0)) }) }))
    }

    /// `[[int]]`, or `[int]` for one input.
    static func inputIds(_ value: JSONValue?) throws(HTTPError) -> [[Int]] {
        func fail() -> HTTPError { HTTPError.badRequest("input_ids must be a list of token ids or a list of such lists", param: "input_ids") }
        guard let outer = value?.array, !outer.isEmpty else { throw fail() }
        if outer.allSatisfy({ $0.int != nil }) { return [outer.map { $0.int! }] }
        var result: [[Int]] = []
        for item in outer {
            guard let inner = item.array, inner.allSatisfy({ $0.int != nil }) else { throw fail() }
            result.append(inner.map { $0.int! })
        }
        return result
    }
}
