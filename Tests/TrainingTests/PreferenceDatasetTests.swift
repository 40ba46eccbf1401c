import JSON
import Platform
import Testing
import TestSupport
import Tokenizers
@testable import Training

/// Preference records read and tokenized as TRL's DPOTrainer does with SmolLM2's tokenizer and
/// chat template (Fixtures/preference-tokens.jsonl, from scripts/fixtures/preference-tokens.py),
/// and cut at the maximum length as its collator cuts them.
@Suite struct PreferenceDatasetTests {
    static let fixture = repositoryRoot + "/Tests/TrainingTests/Fixtures/preference-tokens.jsonl"

    func reader(maxLength: Int = 4096, truncation: TruncationMode = .keepStart) throws -> PreferenceDataset.Reader {
        let (_, tokenizer, template) = try CausalLMTrainerTests.loaded.get()
        return PreferenceDataset.Reader(maxLength: maxLength, truncation: truncation, tokenizer: tokenizer, template: template,
                                        eosText: tokenizer.token(of: 2))
    }

    @Test("Prompt and answer ids equal TRL's for OpenAI's and TRL's records, messages and text, with and without a prompt")
    func idsEqualTRL() throws {
        let reader = try reader()
        let lines = JSONLines.lines(try #require(Files.read(Self.fixture)))
        #expect(lines.count == 7)
        for (_, text) in lines {
            let line = try JSONValue(parsing: text)
            let record = try #require(line["record"])
            let (prompt, chosen, rejected) = try reader.tokens(of: PreferenceRecord(record))
            let ids = { (key: String) in (line[key]?.array ?? []).compactMap { $0.int.map(Int32.init) } }
            #expect(prompt == ids("prompt_ids"), "\(record)")
            #expect(chosen == ids("chosen_ids"), "\(record)")
            #expect(rejected == ids("rejected_ids"), "\(record)")
        }
    }

    @Test("Without a prompt, the answers' shared beginning is the prompt (TRL's extract_prompt)")
    func implicitPrompt() throws {
        let record = try PreferenceRecord(JSONValue(parsing: #"{"chosen":"The sky is blue","rejected":"The sky is green"}"#))
        #expect(record == .text(prompt: "The sky is", chosen: " blue", rejected: " green"))
        let same = try PreferenceRecord(JSONValue(parsing: #"{"chosen":"abc","rejected":"abcd"}"#))
        #expect(same == .text(prompt: "ab", chosen: "c", rejected: "cd"))
    }

    @Test("keep_start cuts the end of the answer, keep_end the start of the prompt; a prompt that fills max_length is refused")
    func truncation() throws {
        let start = try reader(maxLength: 5), end = try reader(maxLength: 5, truncation: .keepEnd)
        #expect(try start.cut([1, 2, 3], [4, 5, 6, 7]) == PreferenceSequence(ids: [1, 2, 3, 4, 5], answerStart: 3))
        #expect(try end.cut([1, 2, 3], [4, 5, 6, 7]) == PreferenceSequence(ids: [3, 4, 5, 6, 7], answerStart: 1))
        #expect(try end.cut([1], [4, 5, 6, 7, 8, 9]) == PreferenceSequence(ids: [5, 6, 7, 8, 9], answerStart: 0))
        #expect(try start.cut([1, 2], [3]) == PreferenceSequence(ids: [1, 2, 3], answerStart: 2))
        #expect(throws: DatasetProblem.self) { try start.cut([1, 2, 3, 4, 5], [6]) }
    }

    @Test("A bad record names its line")
    func problems() throws {
        let reader = try reader()
        let good = #"{"prompt":"a","chosen":" b","rejected":" c"}"#
        for (bad, reason) in [(#"{"prompt":"a","chosen":" b"}"#, "is {"), (#"{"chosen":"b","rejected":[]}"#, "must both be strings"),
                              (#"{"input":{"messages":[]},"preferred_output":[{"role":"assistant"}],"non_preferred_output":[]}"#, "\"role\" and \"content\"")] {
            do {
                _ = try reader.examples(Array((good + "\n" + bad + "\n").utf8))
                Issue.record("\(bad) was accepted")
            } catch {
                #expect(error.line == 2 && error.reason.contains(reason), "\(error)")
            }
        }
    }
}
