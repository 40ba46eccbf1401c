import Engine
import Jobs
import JSON
import Models
import Store
import Testing
import TestSupport

@Suite("Model manifests")
struct ModelManifestTests {
    @Test("A manifest reads back what it wrote")
    func roundTrip() throws {
        let lora = LoRAConfig(r: 4, alpha: 8, targets: ["query", "value"], useRSLoRA: true, dropout: 0.1)
        let classifier = ModelManifest(kind: .classifier, base: "mini", architecture: "bert", adapter: .lora(lora), labels: ["neg", "pos"],
                                       head: ["classifier.weight", "classifier.bias"])
        #expect(try ModelManifest(json: try JSONValue(parsing: Array(classifier.json.encoded().utf8))) == classifier)
        #expect(classifier.weightsPart == .lora)
        let prefixed = ModelManifest(kind: .causalLM, base: "smol", architecture: "gguf",
                                     adapter: .prefix(PrefixConfig(virtualTokens: 12, projection: true, encoderHiddenSize: 64)))
        #expect(try ModelManifest(json: try JSONValue(parsing: Array(prefixed.json.encoded().utf8))) == prefixed)
        #expect(prefixed.json["adapter"]?["type"] == "prefix_tuning" && prefixed.weightsPart == .lora)
        let full = ModelManifest(kind: .causalLM, base: "smol", architecture: "gguf", adapter: nil)
        #expect(try ModelManifest(json: full.json) == full && full.weightsPart == .params)
        #expect(throws: ModelManifestError.self) { try ModelManifest(json: ["kind": "diffusion", "base": "x", "architecture": "y"]) }
        #expect(throws: ModelManifestError.self) { try ModelManifest(json: ["kind": "causal_lm", "base": "x", "architecture": "y", "adapter": ["type": "lora", "r": 0]]) }
    }

    /// Rows made before manifests: a full and a LoRA classifier, a LoRA language model from a
    /// job whose `lora` was left empty (PEFT's defaults), a full language model, and a model
    /// whose job was deleted.
    @Test("Migration 0008 describes existing models from their jobs as the old code read them")
    func migratesExistingRows() throws {
        let (url, drop) = try TestDatabase.create()
        defer { drop() }
        let connection = try Connection(url: url)
        _ = try Migrator.migrate(connection, embeddedMigrations.filter { $0.version <= 7 })
        try connection.execute("INSERT INTO tenant (id) VALUES ('t')")
        let jobs: [(String, String, String)] = [
            ("ftjob-full-bert", "bert", #"{"n_epochs": 1}"#),
            ("ftjob-lora-bert", "bert", #"{"lora": {"r": 4, "lora_alpha": 8, "target_modules": ["query"], "use_rslora": false, "lora_dropout": 0}}"#),
            ("ftjob-lora-gguf", "gguf", #"{"lora": {}}"#),
            ("ftjob-full-gpt2", "gpt2", #"{}"#),
        ]
        for (id, architecture, hyperparameters) in jobs {
            try connection.execute("""
                INSERT INTO fine_tuning_job (id, tenant_id, model, architecture, training_file, seed, method, hyperparameters, status, finished_at)
                VALUES (\(id), 't', 'base', \(architecture), 'file-x', 1, '{"type":"supervised"}', \(hyperparameters)::jsonb, 'succeeded', now())
                """)
        }
        for (id, job, labels) in [("ft:a", "ftjob-full-bert", #"["neg", "pos"]"#), ("ft:b", "ftjob-lora-bert", #"["0", "1", "2"]"#),
                                  ("ft:c", "ftjob-lora-gguf", nil), ("ft:d", "ftjob-full-gpt2", nil), ("ft:e", nil, #"["x", "y"]"#)] {
            try connection.execute("""
                INSERT INTO model (id, tenant_id, base_model, job_id, labels) VALUES (\(id), 't', 'base', \(job), \(labels)::jsonb)
                """)
        }
        _ = try Migrator.migrate(connection, embeddedMigrations)
        var manifests: [String: ModelManifest] = [:]
        for row in try connection.query("SELECT id, manifest::text AS manifest FROM model") {
            manifests[try row.decode(String.self, "id")] = try ModelManifest(json: try JSONValue(parsing: row.decode(String.self, "manifest")))
        }
        #expect(manifests["ft:a"] == ModelManifest(kind: .classifier, base: "base", architecture: "bert", adapter: nil, labels: ["neg", "pos"]))
        #expect(manifests["ft:b"] == ModelManifest(kind: .classifier, base: "base", architecture: "bert",
                                                    adapter: .lora(LoRAConfig(r: 4, alpha: 8, targets: ["query"])), labels: ["0", "1", "2"],
                                                    head: ["classifier.weight", "classifier.bias"]))
        #expect(manifests["ft:c"] == ModelManifest(kind: .causalLM, base: "base", architecture: "gguf", adapter: .lora(LoRAConfig(r: 8, alpha: 16, targets: []))))
        #expect(manifests["ft:d"] == ModelManifest(kind: .causalLM, base: "base", architecture: "gpt2", adapter: nil))
        #expect(manifests["ft:e"] == ModelManifest(kind: .classifier, base: "base", architecture: "bert", adapter: nil, labels: ["x", "y"]))
        #expect(manifests["ft:b"]?.weightsPart == .lora && manifests["ft:d"]?.weightsPart == .params)
    }
}
