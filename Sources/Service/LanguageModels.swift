import Engine
import GGUF
import HTTP
import Inference
import Platform
import JSON
import Tokenizers

/// A base language model ready to generate: the weights, the tokenizer, the tokens that end a
/// reply, and the chat template when Anneal can render it.
public struct LanguageModel: Sendable {
    public let name: String
    public let model: any CausalLM
    public let tokenizer: Tokenizer
    public let stopIDs: Set<Int32>
    /// The end-of-sequence token (training data ends completions with it).
    public let eos: Int32?
    public let template: ChatTemplate?
    public let templateSource: String?
    /// Decodes concurrent generations of the model (and its adapters) in shared batches.
    let batcher: DecodeBatcher

    /// The model of a base folder: a GGUF file of architecture `llama`, or a Hugging Face folder
    /// of `model_type` llama or gpt2. What the engine cannot run is a 400 naming why.
    /// `metrics` counts the decode batches of completions.
    public static func load(_ base: ModelCatalog.BaseModel, metrics: GenerationMetrics? = nil) throws -> LanguageModel {
        let model: any CausalLM, eos: Int32?, source: String?
        if ggufFile(base) == nil { _ = try folderConfig(base) }
        // A GGUF base's tokenizer is the one in its file; a folder's, its tokenizer files.
        let tokenizer = try TokenizerLoader.load(path: ggufFile(base) ?? base.path)
        do {
            if let file = ggufFile(base) {
                let mapped = try MappedFile(path: file)
                let header = try GGUFFile(bytes: mapped.bytes)
                model = try Llama.load(gguf: file, maxT: 4096)
                eos = header["tokenizer.ggml.eos_token_id"]?.int.map(Int32.init)
                source = header["tokenizer.chat_template"]?.string
            } else {
                let config = try folderConfig(base)
                model = config["model_type"]?.string == "gpt2" ? try GPT2.load(folder: base.path) : try Llama.load(folder: base.path, maxT: 4096)
                let settings = Files.read(base.path + "/tokenizer_config.json").flatMap { try? JSONValue(parsing: $0) }
                eos = config["eos_token_id"]?.int.map(Int32.init) ?? settings?["eos_token"]?.string.flatMap(tokenizer.id(of:)).map(Int32.init)
                source = settings?["chat_template"]?.string
            }
        } catch let error as HTTPError { throw error } catch {
            // An architecture or quantization the engine does not run is the request's problem.
            throw HTTPError.badRequest("\(base.name) cannot be loaded: \(error)", param: "model", code: "unsupported_model")
        }
        guard tokenizer.vocabularySize <= model.vocabSize else {
            throw HTTPError.badRequest("\(base.name): the tokenizer has \(tokenizer.vocabularySize) tokens, more than the model's \(model.vocabSize)",
                                       param: "model", code: "unsupported_model")
        }
        var stop = Set<Int32>()
        if let eos { stop.insert(eos) }
        if let end = tokenizer.id(of: "<|im_end|>") { stop.insert(Int32(end)) }
        return LanguageModel(name: base.name, model: model, tokenizer: tokenizer, stopIDs: stop, eos: eos,
                             template: source.flatMap(ChatTemplate.init(jinja:)), templateSource: source,
                             batcher: DecodeBatcher(model: model, metrics: metrics))
    }

    /// The layers LoRA can adapt in `base`, from its GGUF header or `config.json` alone.
    public static func loraLayout(_ base: ModelCatalog.BaseModel) throws -> LoRALayout {
        if let file = ggufFile(base) {
            let mapped = try MappedFile(path: file)
            return try LlamaConfig(gguf: try GGUFFile(bytes: mapped.bytes)).loraLayout
        }
        let config = try folderConfig(base)
        return config["model_type"]?.string == "gpt2" ? try GPT2Config.parse(json: config).loraLayout : try LlamaConfig.parse(json: config).loraLayout
    }

    static func ggufFile(_ base: ModelCatalog.BaseModel) -> String? {
        Files.list(base.path).sorted().first { $0.hasSuffix(".gguf") }.map { base.path + "/" + $0 }
    }

    /// `config.json` of a Hugging Face folder of a causal model Anneal runs.
    static func folderConfig(_ base: ModelCatalog.BaseModel) throws -> JSONValue {
        guard base.isLanguageModel, let bytes = Files.read(base.path + "/config.json") else {
            throw HTTPError.badRequest("\(base.name) (\(base.architecture)) is not a language model Anneal runs; completions need a Llama-family (GGUF or Hugging Face) or GPT-2 model",
                                       param: "model", code: "model_not_generative")
        }
        return try JSONValue(parsing: bytes)
    }

    /// Bytes the weights take, for the model cache.
    public var bytes: Int { model.parameterCount * 4 }
}

/// Why generation stopped.
public enum FinishReason: String, Sendable, CaseIterable {
    /// An end-of-sequence (or end-of-turn) token.
    case eos
    case stopSequence = "stop_sequence"
    case length
    /// The client went away.
    case cancelled

    /// OpenAI's `finish_reason`.
    public var openAI: String { self == .length ? "length" : "stop" }
    /// text-generation-inference's `finish_reason`.
    public var tgi: String { self == .eos ? "eos_token" : self == .length ? "length" : "stop_sequence" }
}

extension LanguageModel {
    /// Generates after `prompt` until a stop token, a stop string or `maxTokens`. `emit` gets
    /// each new piece of text as soon as it is complete UTF-8 and not possibly the start of a
    /// stop string; it returns false to stop early. `cancelled` is asked before each token (a
    /// client that hung up).
    public func generate(prompt: [Int32], maxTokens: Int, sampler: Sampler, stop: [String], adapter: LoRA? = nil,
                         cancelled: @escaping @Sendable () -> Bool = { false },
                         emit: (String) throws -> Bool) throws -> (text: String, tokens: Int, finish: FinishReason) {
        let capacity = min(model.maxT, prompt.count + maxTokens)
        let session = model.session(lora: adapter, capacity: capacity)
        return try batcher.generate(session: session, logits: session.append(prompt), stream: stream(prompt, stop: stop),
                                    maxTokens: maxTokens, sampler: sampler, cancelled: cancelled, emit: emit)
    }

    func stream(_ prompt: [Int32], stop: [String]) -> TextStream {
        TextStream(tokenizer: tokenizer, stopIDs: stopIDs, stop: stop, context: prompt)
    }
}
