import HTTP
import JSON
import Platform
import Service
import Store
import Synchronization
import Testing
import TestSupport

@Suite("Idempotency-Key on job creation")
struct IdempotencyTests {
    @Test("1,000 submissions from 64 concurrent clients, half of them retries with the same key: each job stored once, a retry gets the original")
    func exactlyOnce() throws {
        let api = try APIHarness()
        let file = try api.upload()
        let ids = Mutex<[Int: String]>([:]), replays = Atomic<Int>(0), failures = Mutex<[String]>([])
        let next = Atomic<Int>(0)
        // Submission i and i + 500 carry key i; each of the 64 clients takes the next submission.
        concurrently(64) { _ in
            while true {
                let i = next.add(1, ordering: .relaxed).oldValue
                guard i < 1000 else { return }
                do {
                    let body: JSONValue = ["model": "mini-bert", "training_file": .string(file), "seed": .int(Int64(i % 500))]
                    let response = try api.call("POST", "/v1/fine_tuning/jobs", json: body, headers: [("Idempotency-Key", "key-\(i % 500)")])
                    guard response.status == 200, let id = response.json["id"]?.string else {
                        failures.withLock { $0.append("\(i): \(response.status) \(response.text.prefix(200))") }
                        continue
                    }
                    ids.withLock { $0[i] = id }
                    if response.headers["Idempotent-Replayed"] == "true" { replays.add(1, ordering: .relaxed) }
                } catch {
                    failures.withLock { $0.append("\(i): \(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0.prefix(3) })")
        let byIndex = ids.withLock { $0 }
        #expect(byIndex.count == 1000)
        for i in 0..<500 { #expect(byIndex[i] != nil && byIndex[i] == byIndex[i + 500], "key-\(i)") }
        #expect(replays.load(ordering: .relaxed) == 500, "exactly one of each pair is the replay")
        let stored = try api.application.pool.withConnection { try $0.query("SELECT count(*)::int AS n FROM fine_tuning_job")[0].decode(Int.self, "n") }
        #expect(stored == 500)
    }

    @Test("A key reused with another body is a 422; a bad key a 400; no key creates a job each time; keys are per tenant")
    func mismatches() throws {
        let api = try APIHarness()
        let file = try api.upload()
        let first = try api.call("POST", "/v1/fine_tuning/jobs", json: ["model": "mini-bert", "training_file": .string(file), "seed": 1],
                                 headers: [("Idempotency-Key", "same")])
        #expect(first.status == 200 && first.headers["Idempotent-Replayed"] == nil)
        let other = try api.call("POST", "/v1/fine_tuning/jobs", json: ["model": "mini-bert", "training_file": .string(file), "seed": 2],
                                 headers: [("Idempotency-Key", "same")])
        #expect(other.status == 422 && other.json["error"]?["code"] == "idempotency_key_reused" && other.json["error"]?["param"] == "Idempotency-Key")
        let bad = try api.call("POST", "/v1/fine_tuning/jobs", json: ["model": "mini-bert", "training_file": .string(file)],
                               headers: [("Idempotency-Key", "has space")])
        #expect(bad.status == 400 && bad.json["error"]?["code"] == "invalid_idempotency_key")
        let a = try api.createJob(file: file).json["id"], b = try api.createJob(file: file).json["id"]
        #expect(a != nil && a != b)
        let fileB = try api.upload(key: api.keyB)
        let tenantB = try api.call("POST", "/v1/fine_tuning/jobs", json: ["model": "mini-bert", "training_file": .string(fileB), "seed": 1],
                                   key: api.keyB, headers: [("Idempotency-Key", "same")])
        #expect(tenantB.status == 200 && tenantB.json["id"] != first.json["id"], "another tenant's key of the same name is its own")
    }
}
