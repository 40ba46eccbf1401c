import JSON
import Tokenizers

/// One tokenized causal-LM example: ids and, per position, the token it should predict or -100
/// where no loss is taken (the prompt, user and system turns, padding).
public struct CausalLMExample: Sendable, Equatable {
    public var ids: [Int32]
    public var targets: [Int32]
}

/// A causal-LM job's data: `{"prompt","completion"}` (loss on the completion), `{"messages"}`
/// rendered with the model's chat template (loss on assistant turns whose `weight` is not 0),
/// or `{"text"}` (loss everywhere), tokenized once and cut at `max_seq_length`.
public struct CausalLMDataset: Sendable {
    public var train: [CausalLMExample]
    public var validation: [CausalLMExample]
    /// Tokens of each training-file example before the cut at `max_seq_length`.
    public var fullLengths: [Int]

    public init(training: [UInt8], validation: [UInt8]?, arguments: TrainingArguments, tokenizer: Tokenizer,
                template: ChatTemplate?, eos: Int32?) throws(DatasetProblem) {
        let (examples, lengths) = try Self.examples(training, arguments: arguments, tokenizer: tokenizer, template: template, eos: eos)
        fullLengths = lengths
        guard !examples.isEmpty else { throw DatasetProblem(line: 0, reason: "the training file has no examples") }
        if let validation {
            train = examples
            self.validation = try Self.examples(validation, arguments: arguments, tokenizer: tokenizer, template: template, eos: eos).examples
        } else {
            let split = DataOrder.split(count: examples.count, validationFraction: arguments.validationSplit, seed: arguments.seed)
            (train, self.validation) = (split.train.map { examples[$0] }, split.validation.map { examples[$0] })
        }
    }

    static func examples(_ bytes: [UInt8], arguments: TrainingArguments, tokenizer: Tokenizer,
                         template: ChatTemplate?, eos: Int32?) throws(DatasetProblem) -> (examples: [CausalLMExample], lengths: [Int]) {
        var examples: [CausalLMExample] = [], lengths: [Int] = []
        for (line, text) in JSONLines.lines(bytes) {
            let record: JSONValue
            do { record = try JSONValue(parsing: text) } catch { throw DatasetProblem(line: line, reason: "invalid JSON: \(error)") }
            // (text, whether its tokens carry loss) in order.
            var segments: [(String, Bool)] = []
            if let prompt = record["prompt"]?.string, let completion = record["completion"]?.string {
                segments = [(prompt, false), (completion, true)]
            } else if let messages = record["messages"]?.array {
                guard let template else {
                    throw DatasetProblem(line: line, reason: "\"messages\" need a chat template Anneal renders (ChatML); this model has none")
                }
                var turns: [(role: String, content: String, loss: Bool)] = []
                for message in messages {
                    guard let role = message["role"]?.string, let content = message["content"]?.string else {
                        throw DatasetProblem(line: line, reason: "each message needs a string \"role\" and \"content\"")
                    }
                    turns.append((role, content, role == "assistant" && message["weight"]?.int != 0))
                }
                segments = template.segments(turns)
            } else if let body = record["text"]?.string, record["label"] == nil {
                segments = [(body, true)]
            } else {
                throw DatasetProblem(line: line, reason: "a causal-LM record is {\"prompt\",\"completion\"}, {\"messages\":[...]} or {\"text\"}")
            }
            var ids: [Int32] = [], loss: [Bool] = []
            for (index, (text, counted)) in segments.enumerated() {
                let piece = tokenizer.encodeIDs(text, addSpecialTokens: index == 0).map(Int32.init)
                ids += piece
                loss += [Bool](repeating: counted, count: piece.count)
            }
            if record["messages"] == nil, let eos {  // a completion or text ends with EOS, as the model should
                ids.append(eos)
                loss.append(true)
            }
            lengths.append(ids.count)
            if ids.count > arguments.maxSeqLength {
                ids = Array(ids.prefix(arguments.maxSeqLength))
                loss = Array(loss.prefix(arguments.maxSeqLength))
            }
            // Position t predicts ids[t + 1] where that token carries loss.
            let targets = (0..<ids.count).map { t in t + 1 < ids.count && loss[t + 1] ? ids[t + 1] : -100 }
            guard targets.contains(where: { $0 != -100 }) else {
                throw DatasetProblem(line: line, reason: "no token to learn after truncation at max_seq_length \(arguments.maxSeqLength)")
            }
            examples.append(CausalLMExample(ids: ids, targets: targets))
        }
        return (examples, lengths)
    }

    /// Token-count percentiles of the training file's examples and how many the cut shortens.
    public func lengthSummary(maxLength: Int) -> JSONObject {
        ClassificationDataset.lengthSummary(fullLengths, maxLength: maxLength)
    }
}
