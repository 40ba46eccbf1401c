import Engine
import GGUF
import JSON
import Platform
import Tokenizers

/// A base causal language model loaded from the catalog: the weights, the tokenizer, the tokens
/// that end a reply, and the chat template when Anneal can render it. Training (causal-LM jobs)
/// and serving (completions) both start here.
public struct CausalLMBase: Sendable {
    public let name: String
    public let model: any CausalLM
    public let tokenizer: Tokenizer
    /// The end-of-sequence token (training data ends completions with it) and `<|im_end|>`.
    public let stopIDs: Set<Int32>
    public let eos: Int32?
    public let template: ChatTemplate?

    /// The longest context a base is loaded for.
    public static let maxContext = 4096

    /// The model of a base folder: a GGUF file of architecture `llama`, or a Hugging Face folder
    /// of `model_type` llama or gpt2. What the engine cannot run is an error naming why.
    public static func load(_ base: ModelCatalog.BaseModel) throws(ModelLoadError) -> CausalLMBase {
        let gguf = base.ggufFile
        let config: JSONValue? = gguf == nil ? try folderConfig(base) : nil
        // A GGUF base's tokenizer is the one in its file; a folder's, its tokenizer files.
        let tokenizer = try TokenizerLoader.load(base, path: gguf ?? base.path)
        let model: any CausalLM, eos: Int32?, source: String?
        do {
            if let gguf {
                let mapped = try MappedFile(path: gguf)
                let header = try GGUFFile(bytes: mapped.bytes)
                model = try Llama.load(gguf: gguf, maxT: maxContext)
                eos = header["tokenizer.ggml.eos_token_id"]?.int.map(Int32.init)
                source = header["tokenizer.chat_template"]?.string
            } else {
                model = config?["model_type"]?.string == "gpt2" ? try GPT2.load(folder: base.path) : try Llama.load(folder: base.path, maxT: maxContext)
                let settings = Files.read(base.path + "/tokenizer_config.json").flatMap { try? JSONValue(parsing: $0) }
                eos = config?["eos_token_id"]?.int.map(Int32.init) ?? settings?["eos_token"]?.string.flatMap(tokenizer.id(of:)).map(Int32.init)
                source = settings?["chat_template"]?.string
            }
        } catch {
            throw ModelLoadError(.unsupported, model: base.name, "\(base.name) cannot be loaded: \(error)")
        }
        guard tokenizer.vocabularySize <= model.vocabSize else {
            throw ModelLoadError(.unsupported, model: base.name,
                                 "\(base.name): the tokenizer has \(tokenizer.vocabularySize) tokens, more than the model's \(model.vocabSize)")
        }
        var stop = Set<Int32>()
        if let eos { stop.insert(eos) }
        if let end = tokenizer.id(of: "<|im_end|>") { stop.insert(Int32(end)) }
        return CausalLMBase(name: base.name, model: model, tokenizer: tokenizer, stopIDs: stop, eos: eos,
                            template: source.flatMap(ChatTemplate.init(jinja:)))
    }

    /// The layers LoRA can adapt in `base`, from its GGUF header or `config.json` alone.
    public static func loraLayout(_ base: ModelCatalog.BaseModel) throws(ModelLoadError) -> LoRALayout { try layouts(base).lora }

    /// What a prefix gives `base`'s attention (prefix tuning) and the positions it has, from its config alone.
    public static func prefixFit(_ base: ModelCatalog.BaseModel) throws(ModelLoadError) -> (layout: PrefixLayout, positions: Int) {
        let layouts = try layouts(base)
        return (layouts.prefix, layouts.positions)
    }

    static func layouts(_ base: ModelCatalog.BaseModel) throws(ModelLoadError) -> (lora: LoRALayout, prefix: PrefixLayout, positions: Int) {
        do {
            if let file = base.ggufFile {
                let mapped = try MappedFile(path: file)
                let config = try LlamaConfig(gguf: try GGUFFile(bytes: mapped.bytes))
                return (config.loraLayout, config.prefixLayout, config.maxPositions)
            }
            let json = try folderConfig(base)
            if json["model_type"]?.string == "gpt2" {
                let config = try GPT2Config.parse(json: json)
                return (config.loraLayout, config.prefixLayout, config.maxPositions)
            }
            let config = try LlamaConfig.parse(json: json)
            return (config.loraLayout, config.prefixLayout, config.maxPositions)
        } catch let error as ModelLoadError {
            throw error
        } catch {
            throw ModelLoadError(.unsupported, model: base.name, "\(base.name) cannot be loaded: \(error)")
        }
    }

    /// `config.json` of a Hugging Face folder of a causal model Anneal runs.
    static func folderConfig(_ base: ModelCatalog.BaseModel) throws(ModelLoadError) -> JSONValue {
        guard base.isLanguageModel else {
            throw ModelLoadError(.notGenerative, model: base.name,
                                 "\(base.name) (\(base.architecture)) is not a language model Anneal runs; completions need a Llama-family (GGUF or Hugging Face) or GPT-2 model")
        }
        guard let config = base.config else {
            throw ModelLoadError(.unavailable, model: base.name, "The config.json of \(base.name) cannot be read")
        }
        return config
    }

    /// The layers LoRA can adapt in this model.
    public var loraLayout: LoRALayout { model.loraLayout }
    /// The longest sequence the model is loaded for, in tokens.
    public var contextLength: Int { model.maxT }

    /// Bytes the weights take, for the model caches.
    public var bytes: Int { model.parameterCount * 4 }
}
