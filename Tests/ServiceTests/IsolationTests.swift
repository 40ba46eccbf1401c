import HTTP
import JSON
import Jobs
import Platform
import Service
import Store
import Testing
import TestSupport

/// Tenant isolation over the whole route table: tenant A owns a file, a finished job, its model
/// and a webhook; tenant B calls every route with A's ids and gets 404, and A's things are
/// unchanged afterwards. A route this test does not know fails it, so a new route must be
/// classified here (and checked) before it ships.
@Suite("Tenant isolation on every route", .serialized)
struct IsolationTests {
    static let root = repositoryRoot
    /// Routes that need no key: probes, metrics and the dashboard's static files.
    static func isPublic(_ pattern: String) -> Bool {
        ["/healthz", "/readyz", "/metrics", "/"].contains(pattern) || (!pattern.hasPrefix("/v1/") && !pattern.contains("{")
            && (pattern.hasSuffix(".js") || pattern.hasSuffix(".css") || pattern.hasSuffix(".html") || pattern.hasSuffix(".svg")))
    }

    @Test("B gets 404 for A's ids on every route with an id, in a path or a body; lists show B nothing of A's")
    func everyRoute() throws {
        let model = Self.root + "/models/all-MiniLM-L6-v2"
        let api = try APIHarness(trainers: TrainerRegistry(), linkedModels: ["all-MiniLM-L6-v2": model]) { configuration in
            configuration.webhooks.allowPrivate = true
        }
        // A's things: a file, a finished fine-tune and its model, a webhook.
        let file = try api.upload(Files.read(Self.root + "/Tests/TrainingTests/Fixtures/reviews-train.jsonl")!)
        let created = try api.call("POST", "/v1/fine_tuning/jobs", json: [
            "model": "all-MiniLM-L6-v2", "training_file": .string(file), "suffix": "iso",
            "method": ["type": "supervised", "supervised": ["hyperparameters": [
                "n_epochs": 1, "batch_size": 8, "max_seq_length": 32, "save_strategy": "no"]]],
        ])
        let job = try #require(created.json["id"]?.string, "\(created.json)")
        let finished = try api.finished(job: job)
        #expect(finished["status"] == "succeeded", "\(finished)")
        let tuned = try #require(finished["fine_tuned_model"]?.string)
        let hook = try api.call("POST", "/v1/webhooks", json: ["url": "http://127.0.0.1:9/hook"])
        let webhook = try #require(hook.json["id"]?.string, "\(hook.json)")
        let secrets = [file, job, tuned, webhook]

        // Body-scoped routes: B names A's things in the body.
        let bodies: [String: JSONValue] = [
            "POST /v1/fine_tuning/jobs": ["model": "all-MiniLM-L6-v2", "training_file": .string(file)],
            "POST /predict": ["model": .string(tuned), "inputs": "A sharp film."],
            "POST /v1/completions": ["model": .string(tuned), "prompt": "Hello"],
            "POST /v1/chat/completions": ["model": .string(tuned), "messages": [["role": "user", "content": "Hello"]]],
            "POST /embed": ["model": .string(tuned), "inputs": "A sharp film."],
            "POST /tokenize": ["model": .string(tuned), "inputs": "A sharp film."],
            "POST /decode": ["model": .string(tuned), "ids": [101, 102]],
        ]
        // Routes that create B's own things from B's own input: nothing of A's to name.
        let creates: Set<String> = ["POST /v1/files", "POST /v1/webhooks"]
        let lists: Set<String> = ["GET /v1/files", "GET /v1/fine_tuning/jobs", "GET /v1/models", "GET /v1/webhooks"]

        var checked = 0
        var unknown: [String] = []
        for route in api.application.router().table {
            let name = "\(route.method) \(route.pattern)"
            guard route.authenticated else {
                #expect(Self.isPublic(route.pattern), "\(name) needs no key: is it meant to be public?")
                continue
            }
            if route.pattern.contains("{id}") {
                let id = route.pattern.hasPrefix("/v1/files/") ? file : route.pattern.hasPrefix("/v1/fine_tuning/jobs/") ? job
                    : route.pattern.hasPrefix("/v1/models/") ? tuned : route.pattern.hasPrefix("/v1/webhooks/") ? webhook : nil
                guard let id else {
                    unknown.append(name)
                    continue
                }
                let joined = route.pattern.split(separator: "/").map { $0 == "{id}" ? id : String($0) }.joined(separator: "/")
                let path = "/" + joined
                let response = try api.call(route.method, path, json: route.method == "POST" ? [:] : nil, key: api.keyB)
                #expect(response.status == 404, "\(name) as B on A's \(id): \(response.status) \(response.text.prefix(200))")
                #expect(!secrets.contains { !id.contains($0) && response.text.contains($0) }, "\(name) leaks another id")
            } else if let body = bodies[name] {
                // B learns nothing: the answer is a 404, or the very error a made-up id gets.
                let response = try api.call(route.method, route.pattern, json: body, key: api.keyB)
                var madeUp = body.encoded()
                for id in secrets { madeUp = madeUp.split(separator: id, omittingEmptySubsequences: false).joined(separator: "x-no-such-id") }
                let unknown = try api.call(route.method, route.pattern, body: Array(madeUp.utf8), key: api.keyB, headers: [("Content-Type", "application/json")])
                #expect(response.status == 404 || (response.status == unknown.status && response.json["error"]?["code"] == unknown.json["error"]?["code"]),
                        "\(name) as B naming A's things: \(response.status) \(response.text.prefix(200)); a made-up id: \(unknown.status) \(unknown.text.prefix(200))")
                #expect([400, 404].contains(response.status))
            } else if lists.contains(name) {
                let response = try api.call(route.method, route.pattern, key: api.keyB)
                #expect(response.status == 200 && !secrets.contains { response.text.contains($0) }, "\(name) as B shows A's things")
            } else if !creates.contains(name) {
                unknown.append(name)
                continue
            }
            checked += 1
        }
        #expect(unknown.isEmpty, "routes this test does not classify (add them with their check): \(unknown)")
        #expect(checked >= 30, "only \(checked) routes checked")

        // A's things are untouched by B's deletes and actions.
        #expect(try api.call("GET", "/v1/files/\(file)").status == 200)
        #expect(try api.call("GET", "/v1/fine_tuning/jobs/\(job)").json["status"] == "succeeded")
        #expect(try api.call("GET", "/v1/models/\(tuned)").status == 200)
        #expect(try api.call("GET", "/v1/webhooks/\(webhook)").status == 200)
        #expect(try api.call("POST", "/predict", json: ["model": .string(tuned), "inputs": "A sharp film."], timeout: 120).status == 200)
    }

    @Test("API keys are stored as SHA-256 only; a wrong key of the right shape is refused")
    func keysAreHashed() throws {
        let api = try APIHarness()
        let rows = try Connection(url: api.application.configuration.databaseURL).query("SELECT key_sha256, prefix FROM api_key")
        try #require(rows.count == 2)
        for row in rows {
            let stored = try row.decode(String.self, "key_sha256")
            #expect(stored.count == 64 && stored != api.keyA && stored != api.keyB)
            #expect(stored == Crypto.sha256Hex(api.keyA) || stored == Crypto.sha256Hex(api.keyB))
            #expect(try row.decode(String.self, "prefix").count == 7, "only the first 7 characters are kept in clear")
        }
        var wrong = Array(api.keyA.utf8)
        wrong[wrong.count - 1] = wrong.last == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
        #expect(try api.call("GET", "/v1/files", key: String(decoding: wrong, as: UTF8.self)).status == 401)
    }
}
