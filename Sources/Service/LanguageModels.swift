import Engine
import GGUF
import HTTP
import Inference
import Platform
import Tokenizers

/// A base language model ready to generate: the weights, the tokenizer, the tokens that end a
/// reply, and the chat template when Anneal can render it.
public struct LanguageModel: Sendable {
    public let name: String
    public let model: Llama
    public let tokenizer: Tokenizer
    public let stopIDs: Set<Int32>
    /// The end-of-sequence token (training data ends completions with it).
    public let eos: Int32?
    public let template: ChatTemplate?
    public let templateSource: String?

    /// The model of a base folder holding a GGUF file of architecture `llama`.
    public static func load(_ base: ModelCatalog.BaseModel) throws -> LanguageModel {
        guard let file = Files.list(base.path).sorted().first(where: { $0.hasSuffix(".gguf") }) else {
            throw HTTPError.badRequest("\(base.name) has no GGUF file; completions need a Llama-family GGUF model", param: "model", code: "model_not_generative")
        }
        let path = base.path + "/" + file
        let model: Llama
        do { model = try Llama.load(gguf: path, maxT: 4096) } catch {
            // An architecture or quantization the engine does not run is the request's problem.
            throw HTTPError.badRequest("\(base.name) cannot be loaded: \(error)", param: "model", code: "unsupported_model")
        }
        let tokenizer = try TokenizerLoader.load(path: path)
        let mapped = try MappedFile(path: path)
        let header = try GGUFFile(bytes: mapped.bytes)
        var stop = Set<Int32>()
        let eos = header["tokenizer.ggml.eos_token_id"]?.int.map(Int32.init)
        if let eos { stop.insert(eos) }
        if let end = tokenizer.id(of: "<|im_end|>") { stop.insert(Int32(end)) }
        let source = header["tokenizer.chat_template"]?.string
        return LanguageModel(name: base.name, model: model, tokenizer: tokenizer, stopIDs: stop, eos: eos,
                             template: source.flatMap(ChatTemplate.init(jinja:)), templateSource: source)
    }

    /// Bytes the weights take, for the model cache.
    public var bytes: Int { LlamaParameters.count(model.config) * 4 }
}

/// Why generation stopped, as OpenAI reports it.
public enum FinishReason: String, Sendable {
    case stop, length
}

extension LanguageModel {
    /// Generates after `prompt` until a stop token, a stop string or `maxTokens`. `emit` gets
    /// each new piece of text as soon as it is complete UTF-8 and not possibly the start of a
    /// stop string; it returns false to stop early (a client that went away).
    public func generate(prompt: [Int32], maxTokens: Int, sampler: Sampler, stop: [String], adapter: LlamaLoRA? = nil,
                         emit: (String) throws -> Bool) throws -> (text: String, tokens: Int, finish: FinishReason) {
        let session = LlamaSession(model: model, lora: adapter, capacity: min(model.maxT, prompt.count + maxTokens))
        var logits = session.append(prompt)
        var context = prompt, generated: [Int] = [], sent = 0
        var text = ""
        while generated.count < maxTokens {
            let next = sampler.next(logits, previous: context)
            if stopIDs.contains(next) { return (text, generated.count + 1, .stop) }
            generated.append(Int(next))
            context.append(next)
            let decoded = tokenizer.decode(generated, skipSpecialTokens: true)
            // A replacement character at the end is an incomplete UTF-8 sequence: wait for more.
            if !decoded.hasSuffix("\u{FFFD}") { text = decoded }
            if let hit = stop.compactMap({ text.firstRange(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
                text = String(text[..<hit.lowerBound])
                if text.count > sent { _ = try emit(String(text.dropFirst(sent))) }
                return (text, generated.count, .stop)
            }
            // Hold back a tail that could still grow into a stop string.
            let hold = stop.map { s in (1..<max(1, s.count)).reversed().first { text.hasSuffix(String(s.prefix($0))) } ?? 0 }.max() ?? 0
            let ready = text.count - hold
            if ready > sent {
                let piece = String(text.dropFirst(sent).prefix(ready - sent))
                sent = ready
                if !(try emit(piece)) { return (text, generated.count, .stop) }
            }
            if session.count == session.capacity { break }
            logits = session.append([next])
        }
        if text.count > sent { _ = try emit(String(text.dropFirst(sent))) }
        return (text, generated.count, .length)
    }
}
