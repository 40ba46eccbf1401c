import JSON
import Testing
import Training

@Suite("Dataset validation")
struct DatasetValidatorTests {
    func report(_ text: String) -> DatasetReport { DatasetValidator.validate(Array(text.utf8)) }

    @Test("Each supported shape is recognised", arguments: [
        (#"{"text":"a","label":"x"}"#, RecordShape.textLabel),
        (#"{"text":"a","text_pair":"b","label":2}"#, .textPairLabel),
        (#"{"prompt":"a","completion":"b"}"#, .promptCompletion),
        (#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo","weight":1}]}"#, .messages),
        (#"{"text":"plain"}"#, .text),
        (#"{"input":{"messages":[{"role":"user","content":"hi"}]},"preferred_output":[{"role":"assistant","content":"hello"}],"non_preferred_output":[{"role":"assistant","content":"go"}]}"#, .preference),
        (#"{"prompt":"2+2=","chosen":" 4","rejected":" 5"}"#, .preference),
        (#"{"chosen":"2+2= 4","rejected":"2+2= 5"}"#, .preference),
        (#"{"prompt":[{"role":"user","content":"hi"}],"chosen":[{"role":"assistant","content":"hello"}],"rejected":[{"role":"assistant","content":"go"}]}"#, .preference),
    ])
    func shapes(line: String, shape: RecordShape) {
        let result = report(line + "\n")
        #expect(result.isValid && result.shape == shape && result.exampleCount == 1)
    }

    @Test("Bad lines are reported with their numbers and reasons", arguments: [
        ("{\"text\":\"a\",\"label\":\"x\"}\nnot json\n", 2, "invalid JSON"),
        ("{\"text\":\"a\",\"label\":\"x\"}\n\n{\"foo\":1}\n", 3, "none of the supported shapes"),
        ("{\"text\":\"a\",\"label\":[]}\n", 1, "\"label\" must be a non-empty string or an integer"),
        ("{\"text\":\"a\",\"label\":\"x\"}\n{\"prompt\":\"p\",\"completion\":\"c\"}\n", 2, "a file holds one shape"),
        ("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n", 1, "no assistant message"),
        ("{\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}\n", 1, "is not one of"),
        ("[1,2]\n", 1, "expected a JSON object, found array"),
        ("{\"text\":\"\"}\n", 1, "\"text\" is empty"),
        ("{\"text\":\"a\\u0000b\"}\n", 1, "contains a NUL character"),
        ("{\"text\":\"a\",\"label\":\"x\\u0000\"}\n", 1, "\"label\" must be a non-empty string"),
        (#"{"prompt":"p","chosen":"a"}"# + "\n", 1, "needs both \"chosen\" and \"rejected\""),
        (#"{"prompt":"p","chosen":"a","rejected":7}"# + "\n", 1, "\"rejected\" must be a string"),
        (#"{"input":{"messages":[{"role":"user","content":"q"}]},"preferred_output":[{"role":"user","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"}]}"# + "\n", 1, "\"preferred_output\" has no assistant message"),
        (#"{"input":{"messages":[]},"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"}]}"# + "\n", 1, "\"input.messages\" must be a non-empty array"),
        (#"{"input":"q","preferred_output":[],"non_preferred_output":[]}"# + "\n", 1, "\"input\" must be an object"),
    ])
    func problems(text: String, line: Int, reason: String) {
        let result = report(text)
        #expect(!result.isValid)
        #expect(result.problems.first?.line == line)
        #expect(result.problems.first?.reason.contains(reason) == true, "\(result.problems)")
    }

    @Test("An empty file has no examples")
    func empty() {
        #expect(report("\n\n").problemSummary == "the file holds no examples")
    }

    @Test("Labels are counted; integer labels sort numerically, strings by bytes")
    func labels() {
        let numbers = report("{\"text\":\"a\",\"label\":10}\n{\"text\":\"b\",\"label\":9}\n{\"text\":\"c\",\"label\":10}\n")
        #expect(numbers.labels == ["9", "10"] && numbers.labelCounts["10"] == 2)
        let words = report("{\"text\":\"a\",\"label\":\"b\"}\n{\"text\":\"a\",\"label\":\"B\"}\n{\"text\":\"a\",\"label\":\"é\"}\n")
        #expect(words.labels == ["B", "b", "é"])
    }

    @Test("At most the limit of problems is collected")
    func problemLimit() {
        let text = String(repeating: "nope\n", count: 50)
        #expect(DatasetValidator.validate(Array(text.utf8), maxProblems: 5).problems.count == 5)
    }
}

@Suite("Hyperparameters")
struct HyperparameterTests {
    @Test("OpenAI names accept auto and fill in as auto")
    func defaults() throws {
        let resolved = try Hyperparameters.validate(["n_epochs": 3, "batch_size": "auto"], param: "hp")
        #expect(resolved["n_epochs"] == 3 && resolved["batch_size"] == "auto" && resolved["learning_rate_multiplier"] == "auto")
    }

    static let bad: [(JSONValue, String)] = [
        (["epochs": 3], "hp.epochs"),
        (["n_epochs": 0], "hp.n_epochs"),
        (["learning_rate": "fast"], "hp.learning_rate"),
        (["lr_scheduler_type": "exotic"], "hp.lr_scheduler_type"),
        (["load_best_model_at_end": 1], "hp.load_best_model_at_end"),
        ([1, 2], "hp"),
    ]

    @Test("Unknown names and out-of-range values name the parameter", arguments: bad)
    func rejects(value: JSONValue, param: String) {
        #expect(throws: HyperparameterError.self) { try Hyperparameters.validate(value, param: "hp") }
        do {
            _ = try Hyperparameters.validate(value, param: "hp")
        } catch {
            #expect(error.param == param)
        }
    }
}
