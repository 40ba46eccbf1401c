import JSON
import Tensor

/// A decoder-only language model the trainer and the generator drive without knowing its
/// architecture (Llama, GPT-2).
public protocol CausalLM: AnyObject, Sendable {
    var vocabSize: Int { get }
    /// The longest sequence it takes.
    var maxT: Int { get }
    /// Floats its weights take.
    var parameterCount: Int { get }
    /// The weights, one arena.
    var params: Arena { get }
    /// AdamW's groups over `params` (which ranges take weight decay), for full fine-tuning.
    var parameterGroups: [(range: Range<Int>, decay: Bool)] { get }
    /// The (out, in) weight of linear layer `id` (a `loraLayout` module id) in block `layer`.
    func weight(module id: String, layer: Int) -> UnsafeMutablePointer<Float>?
    /// The model as a Hugging Face folder's `config.json` and `model.safetensors` (streamed
    /// from the model's memory).
    func huggingFaceFiles() -> (config: JSONValue, weights: SafeTensorsWriter)
    /// The layers LoRA can adapt.
    var loraLayout: LoRALayout { get }
    /// The keys and values a prefix gives each layer's attention (prefix tuning).
    var prefixLayout: PrefixLayout { get }
    /// Next-token logits (B·T rows of V) for B sequences of T tokens each, `ids` row by row;
    /// with an adapter (`lora`) or a `prefix`, or neither.
    func logits(_ ids: [Int32], B: Int, T: Int, lora: LoRA?, prefix: PrefixTuning?) -> [Float]
    /// Any objective of the scored tokens' log-probabilities (`targets`: the token each position
    /// should predict, -100 to ignore) over B sequences of T tokens, with gradients added into
    /// `grads` (every parameter: full fine-tuning), into `lora.grads` or into `prefix.grads`;
    /// with the token accuracy.
    func lossAndGradients(_ ids: [Int32], targets: [Int32], B: Int, T: Int, into grads: Arena?, lora: LoRA?, prefix: PrefixTuning?,
                          objective: TokenObjective) -> TokenLoss
    /// The loss and token accuracy alone (forward only), as `lossAndGradients` computes them.
    func loss(_ ids: [Int32], targets: [Int32], B: Int, T: Int, lora: LoRA?, prefix: PrefixTuning?, objective: TokenObjective) -> TokenLoss
    /// Incremental decoding of one sequence with a key/value cache of `capacity` positions
    /// (besides a prefix's).
    func session(lora: LoRA?, prefix: PrefixTuning?, capacity: Int) -> any DecodingSession
    /// One token for each of several sessions of this model at once (each with its own
    /// adapter), reading each weight matrix once for all of them; each session's next logits.
    func decode(_ sessions: [any DecodingSession], _ tokens: [Int32]) -> [[Float]]
}

/// One sequence being decoded: `append` takes the prompt, then one token at a time, and returns
/// the logits after the last of them.
public protocol DecodingSession: AnyObject {
    var count: Int { get }
    var capacity: Int { get }
    /// Runs `ids` at the next positions; the logits (V) after the last of them, or after each
    /// of them (n × V) with `everyRow`. Its scratch grows with `ids.count` × the positions so far:
    /// long inputs go through `append(_:)` or `score`, which take them in blocks.
    func append(_ ids: [Int32], everyRow: Bool) -> [Float]
}

extension DecodingSession {
    /// Runs `ids` (a prompt, or one token) at the next positions, `block` at a time, and returns
    /// the logits after the last of them.
    public func append(_ ids: [Int32], block: Int = 256) -> [Float] {
        var logits: [Float] = [], start = ids.startIndex
        repeat {
            let end = min(ids.endIndex, start + block)
            logits = append(Array(ids[start..<end]), everyRow: false)
            start = end
        } while start < ids.endIndex
        return logits
    }

    /// Runs `ids` at the next positions, `block` at a time, and hands `row` each position's index
    /// in `ids` with the logits after it (V floats, valid during the call).
    public func score(_ ids: [Int32], block: Int = 256, row: (Int, UnsafeBufferPointer<Float>) -> Void) {
        var start = ids.startIndex
        while start < ids.endIndex {
            let end = min(ids.endIndex, start + block)
            let logits = append(Array(ids[start..<end]), everyRow: true), V = logits.count / (end - start)
            logits.withUnsafeBufferPointer { all in
                for r in 0..<(end - start) { row(start + r, UnsafeBufferPointer(rebasing: all[(r * V)..<((r + 1) * V)])) }
            }
            start = end
        }
    }
}

extension CausalLM {
    public func logits(_ ids: [Int32], B: Int, T: Int, lora: LoRA?) -> [Float] { logits(ids, B: B, T: T, lora: lora, prefix: nil) }

    /// The mean causal-LM loss, its gradients scaled by `dloss`.
    public func lossAndGradients(_ ids: [Int32], targets: [Int32], B: Int, T: Int, into grads: Arena?, lora: LoRA?, dloss: Float) -> TokenLoss {
        lossAndGradients(ids, targets: targets, B: B, T: T, into: grads, lora: lora, prefix: nil, objective: .mean(dloss: dloss))
    }

    public func lossAndGradients(_ ids: [Int32], targets: [Int32], B: Int, T: Int, into grads: Arena?, lora: LoRA?,
                                 objective: TokenObjective) -> TokenLoss {
        lossAndGradients(ids, targets: targets, B: B, T: T, into: grads, lora: lora, prefix: nil, objective: objective)
    }

    public func loss(_ ids: [Int32], targets: [Int32], B: Int, T: Int, lora: LoRA?) -> TokenLoss {
        loss(ids, targets: targets, B: B, T: T, lora: lora, prefix: nil, objective: .mean(dloss: 1))
    }

    public func loss(_ ids: [Int32], targets: [Int32], B: Int, T: Int, lora: LoRA?, objective: TokenObjective) -> TokenLoss {
        loss(ids, targets: targets, B: B, T: T, lora: lora, prefix: nil, objective: objective)
    }

    public func session(lora: LoRA?, capacity: Int) -> any DecodingSession { session(lora: lora, prefix: nil, capacity: capacity) }

    /// Greedy decoding: up to `count` tokens after `prompt`, ending after a token of `stop` (EOS).
    public func greedy(_ prompt: [Int32], count: Int, stop: Set<Int32> = [], lora: LoRA? = nil) -> [Int32] {
        let session = self.session(lora: lora, capacity: min(maxT, prompt.count + count))
        var logits = session.append(prompt), generated: [Int32] = []
        while generated.count < count {
            let next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
            generated.append(next)
            if stop.contains(next) || session.count == session.capacity { break }
            logits = session.append([next])
        }
        return generated
    }
}
