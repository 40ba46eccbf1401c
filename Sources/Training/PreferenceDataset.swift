import JSON
import Tokenizers

/// One answer of a preference pair as the model reads it: the prompt's tokens then the answer's,
/// cut at the maximum length; `answerStart` is where the answer begins.
public struct PreferenceSequence: Sendable, Equatable {
    public var ids: [Int32]
    public var answerStart: Int
}

/// A preference pair, tokenized: the preferred (chosen) and the other (rejected) answer.
public struct PreferenceExample: Sendable, Equatable {
    public var chosen: PreferenceSequence
    public var rejected: PreferenceSequence
}

/// Where a too-long pair is cut: its end (TRL's default) or its beginning (the prompt's start).
public enum TruncationMode: String, Sendable, CaseIterable {
    case keepStart = "keep_start", keepEnd = "keep_end"
}

/// A DPO or ORPO job's data, tokenized as TRL's `DPOTrainer` does it. Records are OpenAI's
/// (`input.messages`, `preferred_output`, `non_preferred_output`) or TRL's (`prompt`, `chosen`,
/// `rejected`; strings or message lists; without a prompt, the answers' shared beginning).
/// Messages are rendered with the model's chat template: the prompt with the assistant's header,
/// each answer as the rest of the conversation (so it ends with the turn's end). Strings are
/// tokenized as they are, prompt and prompt + answer + the end-of-sequence text, and the answer is
/// what follows the tokens the two share.
public struct PreferenceDataset: Sendable {
    public var train: [PreferenceExample]
    public var validation: [PreferenceExample]
    /// The longer sequence of each training pair before the cut at the maximum length.
    public var fullLengths: [Int]

    /// `maxPromptLength`: when a pair is longer than the maximum, its prompt is first cut to this
    /// many tokens (TRL before 0.20; later versions cut prompt and answer together only).
    public init(training: [UInt8], validation: [UInt8]?, arguments: TrainingArguments, truncation: TruncationMode, maxPromptLength: Int? = nil,
                tokenizer: Tokenizer, template: ChatTemplate?, eos: Int32?) throws(DatasetProblem) {
        let reader = Reader(maxLength: arguments.maxSeqLength, truncation: truncation, tokenizer: tokenizer, template: template,
                            eosText: eos.flatMap { tokenizer.token(of: Int($0)) }, maxPromptLength: maxPromptLength)
        let (examples, lengths) = try reader.examples(training)
        guard !examples.isEmpty else { throw DatasetProblem(line: 0, reason: "the training file has no examples") }
        fullLengths = lengths
        if let validation {
            (train, self.validation) = (examples, try reader.examples(validation).examples)
        } else {
            let split = DataOrder.split(count: examples.count, validationFraction: arguments.validationSplit, seed: arguments.seed)
            (train, self.validation) = (split.train.map { examples[$0] }, split.validation.map { examples[$0] })
        }
    }

    /// Pairs already tokenized (tests).
    init(train: [PreferenceExample], validation: [PreferenceExample]) {
        (self.train, self.validation, fullLengths) = (train, validation, train.map { max($0.chosen.ids.count, $0.rejected.ids.count) })
    }

    /// Token-count percentiles of the training pairs and how many the cut shortens.
    public func lengthSummary(maxLength: Int) -> JSONObject {
        ClassificationDataset.lengthSummary(fullLengths, maxLength: maxLength)
    }

    struct Reader {
        let maxLength: Int
        let truncation: TruncationMode
        let tokenizer: Tokenizer
        let template: ChatTemplate?
        let eosText: String?
        var maxPromptLength: Int? = nil

        func examples(_ bytes: [UInt8]) throws(DatasetProblem) -> (examples: [PreferenceExample], lengths: [Int]) {
            var examples: [PreferenceExample] = [], lengths: [Int] = []
            for (line, text) in JSONLines.lines(bytes) {
                let record: JSONValue
                do { record = try JSONValue(parsing: text) } catch { throw DatasetProblem(line: line, reason: "invalid JSON: \(error)") }
                do throws(DatasetProblem) {
                    var (prompt, chosen, rejected) = try tokens(of: PreferenceRecord(record))
                    lengths.append(prompt.count + max(chosen.count, rejected.count))
                    if let maxPromptLength, prompt.count > maxPromptLength, prompt.count + max(chosen.count, rejected.count) > maxLength {
                        prompt = truncation == .keepStart ? Array(prompt.prefix(maxPromptLength)) : Array(prompt.suffix(maxPromptLength))
                    }
                    examples.append(PreferenceExample(chosen: try cut(prompt, chosen), rejected: try cut(prompt, rejected)))
                } catch {
                    throw DatasetProblem(line: line, reason: error.reason)
                }
            }
            return (examples, lengths)
        }

        /// The prompt's tokens and each answer's, split where the prompt's tokens stop being a
        /// prefix of both whole sequences (as TRL does).
        func tokens(of record: PreferenceRecord) throws(DatasetProblem) -> (prompt: [Int32], chosen: [Int32], rejected: [Int32]) {
            let prompt: [Int], chosen: [Int], rejected: [Int]
            switch record {
            case .messages(let turns, let good, let bad):
                guard let template else {
                    throw DatasetProblem(line: 0, reason: "messages need a chat template Anneal renders (ChatML); this model has none")
                }
                prompt = tokenizer.encodeIDs(template.render(turns, addGenerationPrompt: true), addSpecialTokens: false)
                chosen = tokenizer.encodeIDs(template.render(turns + good, addGenerationPrompt: false), addSpecialTokens: false)
                rejected = tokenizer.encodeIDs(template.render(turns + bad, addGenerationPrompt: false), addSpecialTokens: false)
            case .text(let text, let good, let bad):
                func ending(_ answer: String) -> String {
                    guard let eosText, !answer.hasSuffix(eosText) else { return answer }
                    return answer + eosText
                }
                prompt = tokenizer.encodeIDs(text)
                chosen = tokenizer.encodeIDs(text + ending(good))
                rejected = tokenizer.encodeIDs(text + ending(bad))
            }
            let split = min(Self.sharedPrefix(prompt, chosen), Self.sharedPrefix(prompt, rejected))
            let ids = { (tokens: ArraySlice<Int>) in tokens.map(Int32.init) }
            return (ids(prompt[..<split]), ids(chosen[split...]), ids(rejected[split...]))
        }

        /// Prompt and answer in one sequence, cut to the maximum length at the end (keep_start) or
        /// at the beginning (keep_end); a prompt that leaves no room for the answer is refused.
        func cut(_ prompt: [Int32], _ answer: [Int32]) throws(DatasetProblem) -> PreferenceSequence {
            guard !answer.isEmpty else { throw DatasetProblem(line: 0, reason: "an answer has no tokens") }
            let whole = prompt + answer
            guard whole.count > maxLength else { return PreferenceSequence(ids: whole, answerStart: prompt.count) }
            switch truncation {
            case .keepStart:
                guard prompt.count < maxLength else {
                    throw DatasetProblem(line: 0, reason: "the prompt has \(prompt.count) tokens, no fewer than max_length \(maxLength): no answer token would be trained")
                }
                return PreferenceSequence(ids: Array(whole.prefix(maxLength)), answerStart: prompt.count)
            case .keepEnd:
                let dropped = whole.count - maxLength
                return PreferenceSequence(ids: Array(whole.suffix(maxLength)), answerStart: max(0, prompt.count - dropped))
            }
        }

        static func sharedPrefix(_ a: [Int], _ b: [Int]) -> Int {
            var n = 0
            while n < a.count && n < b.count && a[n] == b[n] { n += 1 }
            return n
        }
    }
}
