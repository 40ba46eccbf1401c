import JSON
import Jobs
import Platform
import Service
import Testing
import TestSupport

/// DPO and ORPO jobs through the API: OpenAI's preference records made from the chatterbot
/// fixture (each prompt's own answer preferred to another conversation's), LoRA on SmolLM2, TRL's
/// metrics in the series, and the checks that refuse what cannot run.
@Suite("Preference jobs", .serialized)
struct PreferenceJobTests {
    static let model = "SmolLM2-135M-Instruct"

    /// OpenAI's preference format from the chat fixture.
    static func pairs(_ file: String) throws -> [UInt8] {
        let bytes = try #require(Files.read(repositoryRoot + "/Tests/TrainingTests/Fixtures/chat/" + file))
        let conversations = try JSONLines.lines(bytes).map { try JSONValue(parsing: $0.bytes) }
        var lines: [String] = []
        for (i, conversation) in conversations.enumerated() {
            let messages = try #require(conversation["messages"]?.array)
            let other = try #require(conversations[(i + 5) % conversations.count]["messages"]?.array)
            let record: JSONValue = ["input": ["messages": [messages[0]]], "preferred_output": [messages[1]], "non_preferred_output": [other[1]]]
            lines.append(record.encoded())
        }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    @Test("A DPO job with LoRA succeeds with TRL's metrics; its adapter downloads as a PEFT folder")
    func dpoJob() throws {
        let api = try APIHarness(trainers: TrainerRegistry(), linkedModels: [Self.model: repositoryRoot + "/models/" + Self.model])
        let file = try api.upload(try Self.pairs("train.jsonl"))
        let created = try api.call("POST", "/v1/fine_tuning/jobs", json: [
            "model": .string(Self.model), "training_file": .string(file), "seed": 3,
            "method": ["type": "dpo", "dpo": ["hyperparameters": [
                "beta": 0.1, "n_epochs": 1, "batch_size": 6, "max_length": 80, "learning_rate": 2e-3, "logging_steps": 2,
                "validation_split": 0.2, "eval_strategy": "epoch", "save_strategy": "no", "lora": ["r": 8, "target_modules": ["q_proj", "v_proj"]],
            ]]],
        ])
        let id = try #require(created.json["id"]?.string, "\(created.json)")
        #expect(created.json["method"]?["type"] == "dpo" && created.json["method"]?["dpo"]?["hyperparameters"]?["beta"] == 0.1)
        #expect(created.json["method"]?["dpo"]?["hyperparameters"]?["max_seq_length"] == 80)
        let job = try api.finished(job: id)
        #expect(job["status"] == "succeeded", "\(job)")
        let metrics = try api.call("GET", "/v1/fine_tuning/jobs/\(id)/metrics").json["data"]?.array ?? []
        let train = metrics.filter { $0["kind"] == "train" }, eval = metrics.filter { $0["kind"] == "eval" }
        #expect(train.first?["metrics"]?["rewards/margins"] != nil && train.first?["metrics"]?["logps/chosen"] != nil, "\(train)")
        #expect(eval.last?["metrics"]?["rewards/accuracies"] != nil, "\(eval)")
        let events = try api.call("GET", "/v1/fine_tuning/jobs/\(id)/events?limit=100").json["data"]?.array ?? []
        #expect(events.contains { $0["message"]?.string?.hasPrefix("DPO (sigmoid loss), beta 0.1, reference: the base without the adapter") == true })
        let tar = try api.call("GET", "/v1/models/\(try #require(job["fine_tuned_model"]?.string))/download", timeout: 60)
        #expect(tar.status == 200 && APIHarness.tarEntries(tar.body).first?.name.hasSuffix("/adapter_config.json") == true)
    }

    @Test("What cannot run is refused: preference tuning of a classifier, DPO settings on other methods, files of the wrong kind")
    func refusals() throws {
        let api = try APIHarness(trainers: TrainerRegistry(), linkedModels: [Self.model: repositoryRoot + "/models/" + Self.model,
                                                                           "all-MiniLM-L6-v2": repositoryRoot + "/models/all-MiniLM-L6-v2"])
        let pairs = try api.upload(try Self.pairs("validation.jsonl"))
        func create(_ model: String, _ method: JSONValue, file: String) throws -> (Int, JSONValue) {
            let reply = try api.call("POST", "/v1/fine_tuning/jobs", json: ["model": .string(model), "training_file": .string(file), "method": method])
            return (reply.status, reply.json)
        }
        let classifier = try create("all-MiniLM-L6-v2", ["type": "dpo"], file: pairs)
        #expect(classifier.0 == 400 && classifier.1["error"]?["param"] == "method.type", "\(classifier.1)")
        let orpoLoss = try create(Self.model, ["type": "orpo", "orpo": ["hyperparameters": ["loss_type": "ipo"]]], file: pairs)
        #expect(orpoLoss.0 == 400 && orpoLoss.1["error"]?["param"] == "method.orpo.hyperparameters.loss_type")
        let smoothing = try create(Self.model, ["type": "dpo", "dpo": ["hyperparameters": ["label_smoothing": 0.1]]], file: pairs)
        #expect(smoothing.0 == 400 && smoothing.1["error"]?["param"] == "method.dpo.hyperparameters.label_smoothing")
        let beta = try create(Self.model, ["type": "supervised", "supervised": ["hyperparameters": ["beta": 0.1]]], file: pairs)
        #expect(beta.0 == 400 && beta.1["error"]?["param"] == "method.supervised.hyperparameters.beta")

        // Pairs for supervised tuning, conversations for DPO: the job fails at file validation.
        let conversations = try api.upload(try #require(Files.read(repositoryRoot + "/Tests/TrainingTests/Fixtures/chat/validation.jsonl")))
        for (method, file, phrase) in [("supervised", pairs, "need method dpo or orpo"), ("dpo", conversations, "needs preference pairs")] {
            let (status, json) = try create(Self.model, ["type": .string(method)], file: file)
            #expect(status == 200, "\(json)")
            let job = try api.finished(job: try #require(json["id"]?.string))
            #expect(job["status"] == "failed" && job["error"]?["message"]?.string?.contains(phrase) == true, "\(job)")
        }
    }
}
