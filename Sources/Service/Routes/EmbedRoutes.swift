import HTTP
import Inference
import JSON
import Models
import Platform
import Tokenizers

/// `POST /embed` in the shape of Hugging Face's text-embeddings-inference:
/// `{"model", "inputs": str | [str], "normalize": true, "truncate": true}` → `[[float]]`.
/// Token ids are accepted too: `"input_ids": [[int]]` (or `[int]`).
struct EmbedRoutes {
    let catalog: ModelCatalog
    let embedder: Embedder
    let tokenizers: TokenizerCache

    func add(to routes: inout RouteTable, limit: ConcurrencyLimit) {
        routes.add("POST", "/embed", RouteOptions(limit: limit)) { request, _ in try embed(request) }
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
        func flag(_ key: String) throws(HTTPError) -> Bool {
            guard let value = body[key] else { return true }
            guard let bool = value.bool else { throw HTTPError.badRequest("\(key) must be a boolean", param: key) }
            return bool
        }
        let normalize = try flag("normalize"), truncate = try flag("truncate")
        guard model.architecture == "bert" else {
            throw HTTPError.badRequest(EmbedError.unsupportedArchitecture(model: model.name, architecture: model.architecture).description, param: "model", code: "unsupported_model")
        }
        let ids = body["input_ids"] != nil || body["inputs"] == nil
            ? try EmbedRoutes.inputIds(body["input_ids"])
            : try tokenize(body["inputs"], model: model, truncate: truncate)
        let vectors: [[Float]]
        do {
            vectors = try embedder.embed(folder: model.path, name: model.name, inputIds: ids, normalize: normalize, truncate: truncate)
        } catch {
            if case .unloadable = error { throw HTTPError(.internalServerError, error.description, param: "model", code: "model_unavailable") }
            throw HTTPError.badRequest(error.description, param: "input_ids", code: "invalid_input")
        }
        return .json(.array(vectors.map { vector in .array(vector.map { .double(Double($0)) }) }))
    }

    /// Token ids of `inputs` (a string or a list of strings) as sentence-transformers makes them:
    /// special tokens added, cut (keeping them) at the folder's `sentence_bert_config.json`
    /// `max_seq_length` when `truncate`, no padding.
    func tokenize(_ inputs: JSONValue?, model: ModelCatalog.BaseModel, truncate: Bool) throws -> [[Int]] {
        let texts: [String]
        if let text = inputs?.string {
            texts = [text]
        } else if let list = inputs?.array, !list.isEmpty, list.allSatisfy({ $0.string != nil }) {
            texts = list.map { $0.string! }
        } else {
            throw HTTPError.badRequest("inputs must be a string or a non-empty list of strings", param: "inputs")
        }
        var tokenizer: Tokenizer
        do {
            tokenizer = try tokenizers.tokenizer(for: model)
        } catch {
            throw HTTPError(.internalServerError, "The tokenizer of \(model.name) cannot be loaded: \(error)", param: "model", code: "model_unavailable")
        }
        tokenizer.padding = nil
        tokenizer.truncation = truncate ? Truncation(maxLength: EmbedRoutes.maxSequenceLength(model.path)) : nil
        return tokenizer.encodeBatch(texts).map(\.ids)
    }

    /// sentence-transformers' `max_seq_length` for the folder, else BERT's 512.
    static func maxSequenceLength(_ folder: String) -> Int {
        guard let bytes = Files.read(folder + "/sentence_bert_config.json"),
              let length = (try? JSONValue(parsing: bytes))?["max_seq_length"]?.int else { return 512 }
        return min(length, 512)
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
