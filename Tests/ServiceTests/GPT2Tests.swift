import Engine
import Inference
import JSON
import Jobs
import Platform
import Service
import Testing
import TestSupport
import Tokenizers

/// GPT-2 as users bring it (a Hugging Face folder: config.json, model.safetensors,
/// tokenizer.json; a tiny random-init one from scripts/fixtures/gpt2-folder.py): served for
/// completions with transformers' greedy tokens, LoRA fine-tuned through the API, served again.
@Suite("GPT-2", .serialized)
struct GPT2Tests {
    static let folder = repositoryRoot + "/Tests/ServiceTests/Fixtures/tiny-gpt2"

    /// transformers' greedy continuations: (prompt, ids, the text Anneal should answer). A random
    /// model emits stray bytes: an incomplete UTF-8 sequence at the end is held back.
    static func greedyCases() throws -> [(prompt: String, ids: [Int], text: String)] {
        let tokenizer = try Tokenizer(json: try #require(Files.read(folder + "/tokenizer.json")))
        let cases = try JSONValue(parsing: try #require(Files.read(repositoryRoot + "/Tests/ServiceTests/Fixtures/tiny-gpt2-greedy.json")))
        return try #require(cases.array).map { item in
            let ids = (item["ids"]?.array ?? []).compactMap(\.int)
            var text = tokenizer.decode(ids, skipSpecialTokens: true)
            while text.hasSuffix("\u{FFFD}") { text.removeLast() }
            return (item["prompt"]?.string ?? "", ids, text)
        }
    }

    @Test("greedy completions of the base match transformers; chat without a template is a 400")
    func completions() throws {
        let api = try APIHarness(trainers: TrainerRegistry(), linkedModels: ["tiny-gpt2": Self.folder])
        for (prompt, ids, text) in try Self.greedyCases() {
            let reply = try api.call("POST", "/v1/completions", json: [
                "model": "tiny-gpt2", "prompt": .string(prompt), "max_tokens": 12, "temperature": 0,
            ])
            #expect(reply.json["choices"]?[0]?["text"]?.string == text, "\(reply.text)")
            #expect(reply.json["usage"]?["completion_tokens"] == .int(Int64(ids.count)))
            #expect(reply.json["choices"]?[0]?["finish_reason"] == (ids.last == 0 ? "stop" : "length"))
        }
        let chat = try api.call("POST", "/v1/chat/completions", json: ["model": "tiny-gpt2", "messages": [["role": "user", "content": "Hi"]]])
        #expect(chat.status == 400 && chat.json["error"]?["code"] == "unsupported_chat_template", "\(chat.text)")
        let long = try api.call("POST", "/v1/completions", json: ["model": "tiny-gpt2", "prompt": "Hello", "max_tokens": 200])
        #expect(long.status == 400 && long.json["error"]?["code"] == "context_length_exceeded", "\(long.text)")
    }

    /// `echo` with `max_tokens: 0` scores the prompt: each token's log-probability is the
    /// engine's log-softmax of the logits before it, and the top list holds the likeliest.
    @Test("echo scores a prompt with the model's log-probabilities")
    func scoring() throws {
        let api = try APIHarness(trainers: TrainerRegistry(), linkedModels: ["tiny-gpt2": Self.folder])
        let tokenizer = try Tokenizer(json: try #require(Files.read(Self.folder + "/tokenizer.json")))
        let model = try GPT2.load(folder: Self.folder)
        for (prompt, _, text) in try Self.greedyCases() {
            let reply = try api.call("POST", "/v1/completions", json: [
                "model": "tiny-gpt2", "prompt": .string(prompt + text), "max_tokens": 0, "echo": true, "logprobs": 2,
            ])
            #expect(reply.status == 200, "\(reply.text)")
            let choice = try #require(reply.json["choices"]?[0]), logprobs = try #require(choice["logprobs"])
            let values = try #require(logprobs["token_logprobs"]?.array), tops = try #require(logprobs["top_logprobs"]?.array)
            let ids = tokenizer.encodeIDs(prompt + text, addSpecialTokens: true).map(Int32.init), V = model.config.vocabSize
            #expect(choice["text"]?.string == prompt + text && logprobs["tokens"]?.array?.count == ids.count)
            #expect(values.count == ids.count && values[0] == .null && tops[0] == .null)
            #expect(reply.json["usage"]?["prompt_tokens"] == .int(Int64(ids.count)))
            let logits = model.logits(ids, B: 1, T: ids.count)
            for t in 1..<ids.count {
                let row = logits[((t - 1) * V)..<(t * V)].map(Double.init), largest = row.max()!
                let normalizer = largest + Math.log(row.reduce(0) { $0 + Math.exp($1 - largest) })
                #expect(abs((values[t].double ?? 1) - (row[Int(ids[t])] - normalizer)) < 1e-5, "token \(t) of \(prompt)")
                let best = try #require(tops[t].object?.values.compactMap(\.double).max())
                #expect(abs(best - (largest - normalizer)) < 1e-5)
            }
        }
        let generating = try api.call("POST", "/v1/completions", json: ["model": "tiny-gpt2", "prompt": "Hi", "echo": true, "max_tokens": 4])
        #expect(generating.status == 400 && generating.json["error"]?["param"] == "max_tokens")
        let tooMany = try api.call("POST", "/v1/completions", json: ["model": "tiny-gpt2", "prompt": "Hi", "echo": true, "max_tokens": 0, "logprobs": 50])
        #expect(tooMany.status == 400 && tooMany.json["error"]?["param"] == "logprobs")
    }

    @Test("/predict generates in text-generation-inference's shape: greedy by default, stop reasons, full text, checked parameters")
    func predictTGI() throws {
        let api = try APIHarness(trainers: TrainerRegistry(), linkedModels: ["tiny-gpt2": Self.folder])
        for (prompt, ids, text) in try Self.greedyCases() {
            let reply = try api.call("POST", "/predict", json: ["model": "tiny-gpt2", "inputs": .string(prompt),
                                                                "parameters": ["max_new_tokens": 12, "return_full_text": true]])
            #expect(reply.json["generated_text"]?.string == prompt + text, "\(reply.text)")
            #expect(reply.json["details"]?["generated_tokens"] == .int(Int64(ids.count)))
            #expect(reply.json["details"]?["finish_reason"] == (ids.last == 0 ? "eos_token" : "length"), "\(reply.text)")
            #expect(reply.json["details"]?["seed"] == .null)
        }
        let sampled = try api.call("POST", "/predict", json: ["model": "tiny-gpt2", "inputs": "Hello", "parameters": ["do_sample": true, "seed": 3, "max_new_tokens": 4]])
        #expect(sampled.status == 200 && sampled.json["details"]?["seed"] == 3, "\(sampled.text)")
        func param(_ parameters: JSONValue) throws -> JSONValue {
            try api.call("POST", "/predict", json: ["model": "tiny-gpt2", "inputs": "Hello", "parameters": parameters]).json["error"]?["param"] ?? .null
        }
        #expect(try param(["temperature": 0]) == "parameters.temperature")
        #expect(try param(["max_new_tokens": 0]) == "parameters.max_new_tokens")
        #expect(try param(["max_new_tokens": 500]) == "parameters.max_new_tokens")
        #expect(try param(["watermark": true]) == "parameters.watermark")
        #expect(try param(["stop": [1]]) == "parameters.stop")
        #expect(api.application.generation.finished(.length) >= 2)
    }

    @Test("a LoRA job on every linear layer lowers validation loss; the adapter answers and exports for PEFT")
    func loraJob() throws {
        let api = try APIHarness(trainers: TrainerRegistry(), linkedModels: ["tiny-gpt2": Self.folder])
        func lines(_ pairs: [(Int, Int)]) -> [UInt8] {
            Array(pairs.map { #"{"prompt": "What is \#($0.0) plus \#($0.1)?", "completion": " \#($0.0 + $0.1)."}"# }.joined(separator: "\n").utf8)
        }
        let pairs = (1...7).flatMap { a in (1...7).map { (a, $0) } }
        let train = try api.upload(lines(pairs.enumerated().filter { $0.offset % 6 != 0 }.map(\.element)))
        let validation = try api.upload(lines(pairs.enumerated().filter { $0.offset % 6 == 0 }.map(\.element)))
        let created = try api.call("POST", "/v1/fine_tuning/jobs", json: [
            "model": "tiny-gpt2", "training_file": .string(train), "validation_file": .string(validation), "suffix": "sums",
            "adapter": ["type": "lora", "r": 8, "target_modules": "all-linear", "lora_dropout": 0.05],
            "hyperparameters": ["n_epochs": 4, "batch_size": 8, "learning_rate": 1e-2, "eval_strategy": "epoch", "save_strategy": "no"],
        ])
        let id = try #require(created.json["id"]?.string, "\(created.text)")
        let job = try api.finished(job: id, seconds: 120)
        #expect(job["status"] == "succeeded", "\(job)")
        let series = try api.call("GET", "/v1/fine_tuning/jobs/\(id)/metrics").json["data"]?.array ?? []
        let evals = series.filter { $0["kind"] == "eval" }.compactMap { $0["metrics"]?["loss"]?.double }
        #expect(evals.count == 4 && evals.last! < evals.first!, "\(evals)")
        // Perplexity and OpenAI's mean token accuracy, for training and validation.
        let last = try #require(series.last { $0["kind"] == "eval" }?["metrics"])
        #expect(abs((last["perplexity"]?.double ?? 0) - Math.exp(evals.last!)) < 1e-6 * Math.exp(evals.last!))
        #expect((0...1).contains(last["mean_token_accuracy"]?.double ?? -1))
        #expect(series.contains { $0["kind"] == "train" && $0["metrics"]?["mean_token_accuracy"]?.double != nil })
        let events = try api.call("GET", "/v1/fine_tuning/jobs/\(id)/events?limit=100").json["data"]?.array ?? []
        #expect(events.contains { $0["data"]?["valid_mean_token_accuracy"]?.double != nil }, "\(events)")
        let name = try #require(job["fine_tuned_model"]?.string)
        let reply = try api.call("POST", "/v1/completions", json: ["model": .string(name), "prompt": "What is 2 plus 3?", "max_tokens": 4, "temperature": 0])
        #expect(reply.status == 200 && reply.json["choices"]?[0]?["text"]?.string != nil, "\(reply.text)")
        let predicted = try api.call("POST", "/predict", json: ["model": .string(name), "inputs": "What is 2 plus 3?", "parameters": ["max_new_tokens": 4]])
        #expect(predicted.json["generated_text"] == reply.json["choices"]?[0]?["text"], "greedy either way: \(predicted.text)")
        #expect(try api.call("POST", "/predict", json: ["model": .string(name), "inputs": "Hi"], key: api.keyB).status == 404)

        let entries = APIHarness.tarEntries(try api.call("GET", "/v1/models/\(name)/download").body)
        try #require(entries.count == 3)
        #expect(entries[2].name.hasSuffix("/anneal_manifest.json"))
        let config = try JSONValue(parsing: entries[0].body)
        #expect(config["fan_in_fan_out"] == true && config["target_modules"] == ["c_attn", "c_proj", "c_fc"], "\(config)")
        #expect(config["lora_dropout"] == 0.05)
        #expect(config["base_model_name_or_path"] == "tiny-gpt2")
        let merged = APIHarness.tarEntries(try api.call("GET", "/v1/models/\(name)/download?merged=true").body)
        #expect(merged.map { $0.name.split(separator: "/").last! } == ["config.json", "model.safetensors", "tokenizer.json", "anneal_manifest.json"])
        #expect(try api.call("GET", "/v1/models/\(name)/download?merged=maybe").status == 400)
        let header = entries[1].body
        let size = header.prefix(8).enumerated().reduce(0) { $0 | Int($1.1) << (8 * $1.0) }
        let tensors = try JSONValue(parsing: Array(header[8..<(8 + size)]))
        #expect(tensors["base_model.model.transformer.h.1.mlp.c_proj.lora_A.weight"]?["shape"] == [8, 128])
        #expect(tensors["base_model.model.transformer.h.0.attn.c_attn.lora_B.weight"]?["shape"] == [96, 8])
    }

    @Test("a job without lora fine-tunes every weight; the model answers with its own weights and downloads whole")
    func fullJob() throws {
        let api = try APIHarness(trainers: TrainerRegistry(), linkedModels: ["tiny-gpt2": Self.folder])
        let lines = (1...7).flatMap { a in (1...7).map { #"{"prompt": "What is \#(a) plus \#($0)?", "completion": " \#(a + $0)."}"# } }
        // One example longer than the model's 128 positions: max_seq_length 500 is cut to the context.
        let long = #"{"prompt": "Count:", "completion": " \#(String(repeating: "one two three four five six seven eight nine ten ", count: 20))"}"#
        let train = try api.upload(Array((lines + [long]).joined(separator: "\n").utf8))
        let created = try api.call("POST", "/v1/fine_tuning/jobs", json: [
            "model": "tiny-gpt2", "training_file": .string(train), "suffix": "full",
            "hyperparameters": ["n_epochs": 2, "batch_size": 8, "learning_rate": 3e-3, "save_strategy": "no", "max_seq_length": 500],
        ])
        let id = try #require(created.json["id"]?.string, "\(created.text)")
        #expect(created.json["hyperparameters"]?["lora"] == nil)
        let job = try api.finished(job: id, seconds: 120)
        #expect(job["status"] == "succeeded", "\(job)")
        let name = try #require(job["fine_tuned_model"]?.string)
        let events = try api.call("GET", "/v1/fine_tuning/jobs/\(id)/events?limit=100").json["data"]?.array ?? []
        #expect(events.contains { $0["message"]?.string?.hasPrefix("Full fine-tuning") == true }, "\(events)")
        #expect(events.contains { $0["message"]?.string?.contains("examples are cut at 128") == true }, "\(events)")
        let reply = try api.call("POST", "/v1/completions", json: ["model": .string(name), "prompt": "What is 2 plus 3?", "max_tokens": 4, "temperature": 0])
        #expect(reply.status == 200, "\(reply.text)")
        #expect(Set(api.application.languageModels.resident.map(\.key)) == [name], "its own weights, not the base's")
        let entries = APIHarness.tarEntries(try api.call("GET", "/v1/models/\(name)/download").body)
        #expect(entries.map { $0.name.split(separator: "/").last! } == ["config.json", "model.safetensors", "tokenizer.json", "anneal_manifest.json"])
        #expect(try JSONValue(parsing: entries[0].body)["model_type"] == "gpt2")
        #expect(entries.count == 4 && entries[1].body != Files.read(Self.folder + "/model.safetensors"))
    }
}
