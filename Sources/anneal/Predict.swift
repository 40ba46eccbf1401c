import Inference
import JSON
import Models
import Platform
import Service
import Store
import Tokenizers

/// `anneal predict --model ID [--raw-scores] [--top-k K]`: a fine-tuned classifier from the
/// database (DATABASE_URL) and its base model (ANNEAL_MODELS), applied to each UTF-8 line of
/// standard input; one JSON line of `[{"label","score"}]` per input line, in order.
func predict(_ arguments: [String]) {
    let usage = "usage: anneal predict --model ID [--raw-scores] [--top-k K] [flags]"
    let flags = parse(arguments, valued: ["model", "top-k"], switches: ["raw-scores"])
    let raw = flags.has("raw-scores")
    var topK: Int?
    if let k = flags["top-k"] {
        guard let value = Int(k), value > 0 else { fail("predict: --top-k must be a positive integer") }
        topK = value
    }
    guard let model = flags["model"], !model.isEmpty else { fail(usage) }
    let configuration = loadConfiguration(flags.rest)
    let pool = ConnectionPool(url: configuration.databaseURL, size: 2)
    let catalog = ModelCatalog(folder: configuration.models)
    let tokenizers = TokenizerCache()
    let classifier = Classifier(capacityBytes: 1 << 40, window: 0)
    EngineThreads.use(configuration.threads)
    let stored: FineTunedModel
    do {
        stored = try FineTunedModel.find(model, tenant: nil, pool: pool, catalog: catalog)
        try stored.requireClassifier()
    } catch {
        fail("predict: \(error)")
    }
    var batch: [(String, String?)] = []
    func flush() {
        guard !batch.isEmpty else { return }
        do {
            for logits in try stored.logits(batch, truncate: true, tokenizers: tokenizers, classifier: classifier, pool: pool) {
                print(stored.ranked(logits, raw: raw, topK: topK).encoded())
            }
        } catch {
            fail("predict: \(error)")
        }
        batch.removeAll(keepingCapacity: true)
    }
    forEachInputText { text in
        batch.append((text, nil))
        if batch.count == 16 { flush() }
    }
    flush()
}

/// Each line of standard input as text, as it is read; an empty line or one that is not UTF-8
/// ends the command.
func forEachInputText(_ body: (String) -> Void) {
    var number = 0
    for line in Console.InputLines() {
        number += 1
        guard let text = String(validating: line, as: UTF8.self) else { fail("predict: line \(number) of standard input is not valid UTF-8") }
        guard !text.isEmpty else { fail("predict: line \(number) of standard input is empty") }
        body(text)
    }
}

/// `anneal predict` without DATABASE_URL: the same, through the server's `/predict`.
func predictRemotely(_ arguments: [String]) {
    let flags = parse(arguments, valued: APIClient.flags.union(["model", "top-k"]), switches: ["raw-scores"])
    guard let model = flags["model"], !model.isEmpty, flags.rest.isEmpty else {
        fail("usage: anneal predict --model ID [--raw-scores] [--top-k K] [--url URL] [--api-key KEY]")
    }
    let client = APIClient(flags)
    var batch: [String] = []
    func flush() {
        guard !batch.isEmpty else { return }
        var body: JSONObject = ["model": .string(model), "inputs": .array(batch.map(JSONValue.string)), "raw_scores": .bool(flags.has("raw-scores"))]
        if let k = flags["top-k"] {
            guard let value = Int64(k), value > 0 else { fail("predict: --top-k must be a positive integer") }
            body["top_k"] = .int(value)
        }
        for result in client.call("POST", "/predict", json: .object(body)).array ?? [] { print(result.encoded()) }
        batch.removeAll(keepingCapacity: true)
    }
    forEachInputText { text in
        batch.append(text)
        if batch.count == 32 { flush() }
    }
    flush()
}
