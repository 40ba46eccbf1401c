import JSON
import Inference
import Jobs
import Platform
import Service
import Testing
import TestSupport

/// A LoRA fine-tune of SmolLM2-135M-Instruct through the API on chatterbot-corpus conversations,
/// then chat completions with two adapters of the one base at once.
@Suite("LoRA jobs", .serialized)
struct LoRAJobTests {
    static let model = "SmolLM2-135M-Instruct"
    static let fixtures = repositoryRoot + "/Tests/TrainingTests/Fixtures/chat/"

    @Test("two LoRA jobs lower validation loss; both adapters answer while the base is resident once")
    func trainAndServe() throws {
        let api = try APIHarness(trainers: TrainerRegistry(), linkedModels: [Self.model: repositoryRoot + "/models/" + Self.model])
        let train = try api.upload(try #require(Files.read(Self.fixtures + "train.jsonl")))
        let validation = try api.upload(try #require(Files.read(Self.fixtures + "validation.jsonl")))
        var names: [String] = []
        for seed in [1, 2] {
            let hyperparameters: JSONValue = ["n_epochs": 1, "batch_size": 4, "max_seq_length": 64, "learning_rate": 2e-3,
                                              "eval_strategy": "steps", "eval_steps": 3, "save_strategy": "no",
                                              "lora": ["r": 8, "target_modules": ["q_proj", "v_proj"]]]
            let created = try api.call("POST", "/v1/fine_tuning/jobs", json: [
                "model": .string(Self.model), "training_file": .string(train), "validation_file": .string(validation),
                "suffix": .string("chat\(seed)"), "seed": .int(Int64(seed)),
                "method": ["type": "supervised", "supervised": ["hyperparameters": hyperparameters]],
            ])
            let id = try #require(created.json["id"]?.string, "\(created.json)")
            let job = try api.finished(job: id)
            #expect(job["status"] == "succeeded", "\(job)")
            let evals = (try api.call("GET", "/v1/fine_tuning/jobs/\(id)/metrics").json["data"]?.array ?? [])
                .filter { $0["kind"] == "eval" }.compactMap { $0["metrics"]?["loss"]?.double }
            #expect(evals.count == 3 && evals.last! < evals.first!, "\(evals)")
            names.append(try #require(job["fine_tuned_model"]?.string))
        }
        @Sendable func chat(_ model: String) throws -> String? {
            let reply = try api.call("POST", "/v1/chat/completions", json: [
                "model": .string(model), "messages": [["role": "user", "content": "Hello"]], "max_tokens": 12, "temperature": 0,
            ], timeout: 120)
            #expect(reply.status == 200, "\(reply.json)")
            return reply.json["choices"]?[0]?["message"]?["content"]?.string
        }
        var alone: [String: String] = [:]
        for name in names + [Self.model] { alone[name] = try chat(name) }
        // Both adapters and the base at once: their sequences share decode batches, and each
        // answers what it answered alone.
        let models = names + [Self.model] + names + [Self.model]
        let together = ConditionLock([String: [String]]())
        concurrently(models.count) { i in
            let text = (try? chat(models[i])) ?? nil
            together.withLock { $0[models[i], default: []].append(text ?? "(failed)") }
        }
        for (name, texts) in together.withLock({ $0 }) { #expect(texts == [alone[name]!, alone[name]!], "\(name)") }
        #expect(api.application.generation.largestBatch >= 2)
        #expect(api.application.languageModels.resident.map(\.key) == [Self.model])
        #expect(Set(api.application.languageModels.residentAdapters.map(\.key)) == Set(names))
        #expect(try api.call("POST", "/v1/chat/completions", json: ["model": .string(names[0]), "messages": [["role": "user", "content": "Hi"]]],
                             key: api.keyB).status == 404)

        // The adapter as a PEFT folder: adapter_config.json, then adapter_model.safetensors.
        let tar = try api.call("GET", "/v1/models/\(names[0])/download", timeout: 60)
        #expect(tar.status == 200)
        let entries = APIHarness.tarEntries(tar.body)
        try #require(entries.count == 3)
        #expect(entries[2].name.hasSuffix("/anneal_manifest.json"), "the job's reproducibility manifest travels with the adapter")
        let config = entries[0]
        let json = try JSONValue(parsing: config.body)
        #expect(config.name.hasSuffix("/adapter_config.json") && json["peft_type"] == "LORA" && json["r"] == 8)
        #expect(json["target_modules"] == ["q_proj", "v_proj"] && json["base_model_name_or_path"]?.string == Self.model)
        let weights = entries[1]
        let headerSize = weights.body.prefix(8).enumerated().reduce(0) { $0 | Int($1.1) << (8 * $1.0) }
        let header = try JSONValue(parsing: Array(weights.body[8..<(8 + headerSize)]))
        #expect(weights.name.hasSuffix("/adapter_model.safetensors"))
        #expect(header["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"]?["shape"] == [8, 576])
        #expect(header["base_model.model.model.layers.29.self_attn.v_proj.lora_B.weight"]?["shape"] == [192, 8])
    }
}
