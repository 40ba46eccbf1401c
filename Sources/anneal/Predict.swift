import Inference
import JSON
import Platform
import Service
import Store
import Tokenizers

/// `anneal predict --model ID [--raw-scores] [--top-k K]`: a fine-tuned classifier from the
/// database (DATABASE_URL) and its base model (ANNEAL_MODELS), applied to each UTF-8 line of
/// standard input; one JSON line of `[{"label","score"}]` per input line, in order.
func predict(_ arguments: [String]) {
    let usage = "usage: anneal predict --model ID [--raw-scores] [--top-k K] [flags]"
    var model: String?, raw = false, topK: Int?
    var flags: [String] = []
    var index = 0
    while index < arguments.count {
        let argument = arguments[index]
        if argument == "--model" || argument == "--top-k", index + 1 < arguments.count {
            if argument == "--model" { model = arguments[index + 1] } else {
                guard let k = Int(arguments[index + 1]), k > 0 else { fail("predict: --top-k must be a positive integer") }
                topK = k
            }
            index += 2
        } else if argument == "--raw-scores" {
            raw = true
            index += 1
        } else {
            flags.append(argument)
            index += 1
        }
    }
    guard let model, !model.isEmpty else { fail(usage) }
    let configuration = loadConfiguration(flags)
    let pool = ConnectionPool(url: configuration.databaseURL, size: 2)
    let catalog = ModelCatalog(folder: configuration.models)
    let tokenizers = TokenizerCache()
    let classifier = Classifier(capacityBytes: 1 << 40, window: 0)
    Application.useEngineThreads()
    let stored: StoredClassifier
    do {
        stored = try StoredClassifier.find(model, tenant: nil, pool: pool, catalog: catalog)
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
    var number = 0
    for line in Console.InputLines() {
        number += 1
        guard let text = String(validating: line, as: UTF8.self) else { fail("predict: line \(number) of standard input is not valid UTF-8") }
        guard !text.isEmpty else { fail("predict: line \(number) of standard input is empty") }
        batch.append((text, nil))
        if batch.count == 16 { flush() }
    }
    flush()
}
