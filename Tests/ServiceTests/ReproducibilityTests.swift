import JSON
import Jobs
import Platform
import Testing
import TestSupport

/// Every job records what its result depends on; a rerun on the same build and thread count
/// gives bit-identical weights.
@Suite("Reproducibility", .serialized)
struct ReproducibilityTests {
    static let folder = repositoryRoot + "/Tests/ServiceTests/Fixtures/tiny-gpt2"

    @Test("The manifest's hashes match the files, and a rerun's weights are bit-identical")
    func rerunIsBitIdentical() throws {
        let api = try APIHarness(trainers: TrainerRegistry(), linkedModels: ["tiny-gpt2": Self.folder])
        let lines = (1...5).flatMap { a in (1...5).map { #"{"prompt": "What is \#(a) plus \#($0)?", "completion": " \#(a + $0)."}"# } }
        let content = Array(lines.joined(separator: "\n").utf8)
        let train = try api.upload(content)
        let created = try api.call("POST", "/v1/fine_tuning/jobs", json: [
            "model": "tiny-gpt2", "training_file": .string(train), "seed": 11,
            "hyperparameters": ["n_epochs": 1, "batch_size": 5, "learning_rate": 3e-3, "save_strategy": "no", "dropout": 0.1],
        ])
        let first = try #require(created.json["id"]?.string, "\(created.text)")
        let done = try api.finished(job: first, seconds: 120)
        #expect(done["status"] == "succeeded", "\(done)")

        let manifest = try api.call("GET", "/v1/fine_tuning/jobs/\(first)/manifest").json
        #expect(manifest["files"]?["training_file"]?["sha256"] == .string(Crypto.hex(Crypto.sha256(content))))
        for name in ["config.json", "model.safetensors", "tokenizer.json"] {
            let bytes = try #require(Files.read(Self.folder + "/" + name))
            #expect(manifest["base_files"]?[name] == .string(Crypto.hex(Crypto.sha256(bytes))), "\(name)")
        }
        #expect(manifest["seed"] == 11 && manifest["anneal_version"] == .string(Build.version) && manifest["threads"]?.int != nil)
        #expect(manifest["hyperparameters"]?["learning_rate"] == 3e-3)

        let rerun = try api.call("POST", "/v1/fine_tuning/jobs/\(first)/rerun")
        let second = try #require(rerun.json["id"]?.string, "\(rerun.text)")
        #expect(rerun.json["rerun_of"] == .string(first) && rerun.json["seed"] == 11)
        #expect(try api.finished(job: second, seconds: 120)["status"] == "succeeded")
        func weights(_ job: String) throws -> [UInt8] {
            let model = try #require(try api.call("GET", "/v1/fine_tuning/jobs/\(job)").json["fine_tuned_model"]?.string)
            let entries = APIHarness.tarEntries(try api.call("GET", "/v1/models/\(model)/download").body)
            let manifestEntry = try #require(entries.first { $0.name.hasSuffix("/anneal_manifest.json") })
            #expect(try JSONValue(parsing: manifestEntry.body)["job"] == .string(job), "the folder carries its job's manifest")
            return try #require(entries.first { $0.name.hasSuffix("/model.safetensors") }).body
        }
        let (a, b) = (try weights(first), try weights(second))
        #expect(a == b, "the rerun's weights differ")
        #expect(a != Files.read(Self.folder + "/model.safetensors"), "training moved the weights")
        #expect(try api.call("POST", "/v1/fine_tuning/jobs/\(first)/rerun", key: api.keyB).status == 404)
    }

    @Test("A job that has not started has no manifest yet")
    func noManifestBeforeTraining() throws {
        let api = try APIHarness(linkedModels: ["tiny-gpt2": Self.folder])  // no workers: the job stays queued
        let train = try api.upload(Array(#"{"prompt": "1 plus 1?", "completion": " 2."}"#.utf8))
        let created = try api.call("POST", "/v1/fine_tuning/jobs", json: ["model": "tiny-gpt2", "training_file": .string(train)])
        let id = try #require(created.json["id"]?.string, "\(created.text)")
        let answer = try api.call("GET", "/v1/fine_tuning/jobs/\(id)/manifest")
        #expect(answer.status == 409 && answer.json["error"]?["message"]?.string != nil, "\(answer.text)")
    }
}
