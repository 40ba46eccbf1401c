import Engine
import Models
import Platform
import Tokenizers

/// A base language model ready to generate: the loaded base (weights, tokenizer, stop tokens,
/// chat template) and the batcher that decodes its concurrent generations together.
public struct LanguageModel: Sendable {
    public let base: CausalLMBase
    /// Decodes concurrent generations of the model (and its adapters) in shared batches.
    let batcher: DecodeBatcher
    /// Held while a prompt is scored (`ServedModel.score`): one at a time per model.
    let scoring = ConditionLock(())

    public var name: String { base.name }
    public var model: any CausalLM { base.model }
    public var tokenizer: Tokenizer { base.tokenizer }
    public var stopIDs: Set<Int32> { base.stopIDs }
    public var eos: Int32? { base.eos }
    public var template: ChatTemplate? { base.template }
    /// Bytes the weights take, for the model cache.
    public var bytes: Int { base.bytes }

    /// `loaded` ready to generate; `metrics` counts the decode batches of completions.
    public init(_ loaded: CausalLMBase, metrics: GenerationMetrics? = nil) {
        base = loaded
        batcher = DecodeBatcher(model: loaded.model, metrics: metrics)
    }

    /// `base` loaded (`CausalLMBase.load`).
    public static func load(_ base: ModelCatalog.BaseModel, metrics: GenerationMetrics? = nil) throws(ModelLoadError) -> LanguageModel {
        LanguageModel(try CausalLMBase.load(base), metrics: metrics)
    }
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
    /// client that hung up). The generation is counted in the model's `GenerationMetrics`.
    /// `adapter`: a LoRA or prefix-tuned fine-tune's, over this base.
    public func generate(prompt: [Int32], maxTokens: Int, sampler: Sampler, stop: [String], adapter: (any Adapter)? = nil,
                         cancelled: @escaping @Sendable () -> Bool = { false },
                         emit: (String) throws -> Bool) throws -> (text: String, tokens: Int, finish: FinishReason) {
        let prefix = adapter as? PrefixTuning, capacity = min(model.maxT - (prefix?.virtualTokens ?? 0), prompt.count + maxTokens)
        let session = model.session(lora: adapter as? LoRA, prefix: prefix, capacity: capacity)
        let result = try batcher.generate(session: session, logits: session.append(prompt), stream: stream(prompt, stop: stop),
                                          maxTokens: maxTokens, sampler: sampler, cancelled: cancelled, emit: emit)
        batcher.metrics?.record(tokens: result.tokens, finish: result.finish)
        return result
    }

    func stream(_ prompt: [Int32], stop: [String]) -> TextStream {
        TextStream(tokenizer: tokenizer, stopIDs: stopIDs, stop: stop, context: prompt)
    }
}
