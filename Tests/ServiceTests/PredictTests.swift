import JSON
import Jobs
import Platform
import Testing
import TestSupport

/// A real fine-tune of all-MiniLM-L6-v2 through the API, then `POST /predict` on it.
@Suite("Predict with a fine-tuned classifier", .serialized)
struct PredictTests {
    static let root = repositoryRoot

    @Test("upload, fine-tune, predict; base models, unknown models, bad inputs and other tenants are refused")
    func uploadTrainPredict() throws {
        let model = Self.root + "/models/all-MiniLM-L6-v2"
        #expect(Files.exists(model + "/model.safetensors"), "run scripts/fetch-models")
        let api = try APIHarness(trainers: TrainerRegistry(), linkedModels: ["all-MiniLM-L6-v2": model])
        let file = try api.upload(Files.read(Self.root + "/Tests/TrainingTests/Fixtures/reviews-train.jsonl")!)
        let hyperparameters: JSONValue = ["n_epochs": 1, "batch_size": 8, "max_seq_length": 32, "learning_rate": 1e-4, "save_strategy": "no"]
        let created = try api.call("POST", "/v1/fine_tuning/jobs", json: [
            "model": "all-MiniLM-L6-v2", "training_file": .string(file), "suffix": "rt",
            "method": ["type": "supervised", "supervised": ["hyperparameters": hyperparameters]],
        ])
        let id = try #require(created.json["id"]?.string, "\(created.json)")
        let job = try api.finished(job: id)
        #expect(job["status"] == "succeeded", "\(job)")
        let name = try #require(job["fine_tuned_model"]?.string)
        let results = try #require(job["result_files"]?[0]?.string, "\(job)")
        let csv = String(decoding: try api.call("GET", "/v1/files/\(results)/content").body, as: UTF8.self)
        #expect(csv.hasPrefix("step,epoch,kind,") && csv.contains("loss"), "\(csv)")
        let models = try api.call("GET", "/v1/models").json["data"]?.array ?? []
        #expect(models.contains { $0["id"]?.string == name })

        // The first request loads the weights from PostgreSQL: slow on a loaded machine.
        let one = try api.call("POST", "/predict", json: ["model": .string(name), "inputs": "A sharp, funny and moving film."], timeout: 120)
        #expect(one.status == 200, "\(one.json)")
        let scores = one.json.array ?? []
        #expect(scores.count == 2 && Set(scores.compactMap { $0["label"]?.string }) == ["fresh", "rotten"])
        let values = scores.compactMap { $0["score"]?.double }
        #expect(abs(values.reduce(0, +) - 1) < 1e-6 && values == values.sorted(by: >))

        let batch = try api.call("POST", "/predict", json: ["model": .string(name), "top_k": 1, "raw_scores": true,
                                                            "inputs": ["Dull.", ["A film.", "Loved it."]]])
        #expect(batch.json.array?.count == 2 && batch.json.array?.allSatisfy { $0.array?.count == 1 } == true, "\(batch.json)")

        // Concurrent requests are batched together and all answered.
        let answers = ConditionLock([Int]())
        concurrently(8) { i in
            let status = (try? api.call("POST", "/predict", json: ["model": .string(name), "inputs": .string("review number \(i)")]).status) ?? 0
            answers.withLock { $0.append(status) }
        }
        #expect(answers.withLock { $0 } == [Int](repeating: 200, count: 8))

        // The Hugging Face folder: config.json with the labels, then model.safetensors.
        let tar = try api.call("GET", "/v1/models/\(name)/download", timeout: 120)
        #expect(tar.status == 200)
        func header(_ offset: Int) -> (name: String, size: Int) {
            let name = String(decoding: tar.body[offset..<(offset + 100)].prefix { $0 != 0 }, as: UTF8.self)
            let size = Int(String(decoding: tar.body[(offset + 124)..<(offset + 135)], as: UTF8.self), radix: 8) ?? -1
            return (name, size)
        }
        let config = header(0)
        #expect(config.name.hasSuffix("/config.json"))
        let configJSON = try JSONValue(parsing: Array(tar.body[512..<(512 + config.size)]))
        #expect(configJSON["id2label"]?["1"] == "rotten" && configJSON["architectures"]?[0] == "BertForSequenceClassification")
        let weights = header(512 + (config.size + 511) / 512 * 512)
        #expect(weights.name.hasSuffix("/model.safetensors") && weights.size > 80_000_000)
        // tokenizer.json without the base folder's cut-and-pad-to-128, as /predict tokenizes.
        var offset = 0, tokenizerJSON: JSONValue?
        while offset + 512 <= tar.body.count, tar.body[offset] != 0 {
            let entry = header(offset)
            if entry.name.hasSuffix("/tokenizer.json") {
                tokenizerJSON = try JSONValue(parsing: Array(tar.body[(offset + 512)..<(offset + 512 + entry.size)]))
            }
            offset += 512 + (entry.size + 511) / 512 * 512
        }
        #expect(tokenizerJSON?["truncation"] == .null && tokenizerJSON?["padding"] == .null && tokenizerJSON?["model"]?["vocab"] != nil)

        #expect(try api.call("POST", "/predict", json: ["model": "all-MiniLM-L6-v2", "inputs": "x"]).status == 400)
        #expect(try api.call("POST", "/predict", json: ["model": "ft:nope", "inputs": "x"]).status == 404)
        #expect(try api.call("POST", "/predict", json: ["model": .string(name), "inputs": .array([])]).status == 400)
        #expect(try api.call("POST", "/predict", json: ["model": .string(name), "inputs": "x"], key: api.keyB).status == 404)
        // The model's row is kept between requests, but a deletion ends its serving at once.
        #expect(try api.call("POST", "/predict", json: ["model": .string(name), "inputs": "x"]).status == 200)
        #expect(try api.call("DELETE", "/v1/models/\(name)").status == 200)
        #expect(try api.call("POST", "/predict", json: ["model": .string(name), "inputs": "x"]).status == 404)
    }

    /// A LoRA classifier (adapters on query and value, the head beside them): /predict answers
    /// with the base's weights merged with the adapter; the download is a PEFT folder for
    /// BertForSequenceClassification, or the merged Hugging Face folder.
    @Test("a LoRA classifier predicts and downloads as PEFT (SEQ_CLS) or merged")
    func loraClassifier() throws {
        let model = Self.root + "/models/all-MiniLM-L6-v2"
        let api = try APIHarness(trainers: TrainerRegistry(), linkedModels: ["all-MiniLM-L6-v2": model])
        let file = try api.upload(Files.read(Self.root + "/Tests/TrainingTests/Fixtures/reviews-train.jsonl")!)
        let created = try api.call("POST", "/v1/fine_tuning/jobs", json: [
            "model": "all-MiniLM-L6-v2", "training_file": .string(file), "suffix": "rt-lora",
            "adapter": ["type": "lora", "r": 8], "hyperparameters": ["n_epochs": 1, "batch_size": 8, "max_seq_length": 32, "learning_rate": 1e-3, "save_strategy": "no"],
        ])
        let id = try #require(created.json["id"]?.string, "\(created.text)")
        #expect(created.json["hyperparameters"]?["lora"]?["target_modules"] == ["query", "value"])
        let job = try api.finished(job: id)
        #expect(job["status"] == "succeeded", "\(job)")
        let name = try #require(job["fine_tuned_model"]?.string)
        let reply = try api.call("POST", "/predict", json: ["model": .string(name), "inputs": "A sharp, funny and moving film."], timeout: 120)
        let labels = Set((reply.json.array ?? []).compactMap { $0["label"]?.string })
        #expect(reply.status == 200 && labels == ["fresh", "rotten"], "\(reply.text)")

        let peft = APIHarness.tarEntries(try api.call("GET", "/v1/models/\(name)/download", timeout: 120).body)
        try #require(peft.count == 4)
        #expect(peft[3].name.hasSuffix("/anneal_manifest.json"))
        #expect(try JSONValue(parsing: peft[2].body)["id2label"]?["1"] == "rotten", "the labels travel with the adapter")
        let config = try JSONValue(parsing: peft[0].body)
        #expect(config["task_type"] == "SEQ_CLS" && config["modules_to_save"] == ["classifier"] && config["target_modules"] == ["query", "value"], "\(config)")
        let size = peft[1].body.prefix(8).enumerated().reduce(0) { $0 | Int($1.1) << (8 * $1.0) }
        let tensors = try JSONValue(parsing: Array(peft[1].body[8..<(8 + size)]))
        #expect(tensors["base_model.model.classifier.weight"]?["shape"] == [2, 384])
        #expect(tensors["base_model.model.bert.encoder.layer.5.attention.self.value.lora_B.weight"]?["shape"] == [384, 8])
        let merged = APIHarness.tarEntries(try api.call("GET", "/v1/models/\(name)/download?merged=true", timeout: 120).body)
        #expect(merged.map { $0.name.split(separator: "/").last! }.prefix(2) == ["config.json", "model.safetensors"])
    }
}
