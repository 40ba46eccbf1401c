import HTTP
import Jobs
import JSON
import Platform
import Service
import Store
import Synchronization
import Testing
import TestSupport

/// A webhook receiver on loopback: records each delivery and answers with `status`. It can be
/// stopped (connections refused) and started again on the same port.
final class WebhookReceiver: @unchecked Sendable {
    struct Delivery { let headers: HTTPHeaders; let body: [UInt8] }
    let deliveries = Mutex<[Delivery]>([])
    let status = Mutex<HTTPStatus>(.ok)
    private var server: Server?
    private(set) var port = 0

    init() throws { try start() }
    deinit { stop() }

    func start() throws {
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = port
        let router = Router { routes in
            routes.add("POST", "/hook") { [self] request, _ in
                let answer = status.withLock { $0 }
                if answer == .ok { deliveries.withLock { $0.append(Delivery(headers: request.head.headers, body: request.body)) } }
                return HTTPResponse(status: answer, contentType: "text/plain", body: "noted")
            }
        }
        let started = Server(configuration: configuration, router: router, metrics: RequestMetrics())
        try started.start()
        port = started.port
        server = started
    }

    func stop() {
        server?.shutdown(grace: 1)
        server = nil
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }

    /// Waits up to `timeout` seconds for `count` deliveries.
    func wait(for count: Int, timeout: Double) -> [Delivery] {
        let deadline = MonotonicClock.now + timeout
        while MonotonicClock.now < deadline {
            let received = deliveries.withLock { $0 }
            if received.count >= count { return received }
            sleep(seconds: 0.05)
        }
        return deliveries.withLock { $0 }
    }
}

@Suite("Webhooks")
struct WebhookTests {
    static func allowingLoopback(_ configuration: inout Configuration) {
        configuration.webhooks.allowPrivate = true
        configuration.webhooks.retryDelay = 1
        configuration.webhooks.maxDelay = 4
        configuration.webhooks.maxAttempts = 50
    }

    @Test("Standard Webhooks' published example signs and verifies; a changed body, id or old timestamp does not")
    func signature() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", body = Array(#"{"test": 2432232314}"#.utf8)
        let signature = WebhookSignature.sign(secret: secret, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, body: body)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(WebhookSignature.verify(secret: secret, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330",
                                        signatures: "v1,bm90IGl0 " + signature, body: body, now: 1614265400))
        #expect(!WebhookSignature.verify(secret: secret, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330",
                                         signatures: signature, body: body + [32], now: 1614265330))
        #expect(!WebhookSignature.verify(secret: secret, id: "msg_other", timestamp: "1614265330",
                                         signatures: signature, body: body, now: 1614265330))
        #expect(!WebhookSignature.verify(secret: secret, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330",
                                         signatures: signature, body: body, now: 1614265330 + 301))
        #expect(WebhookSignature.newSecret().hasPrefix("whsec_") && WebhookSignature.key(WebhookSignature.newSecret())?.count == 32)
    }

    @Test("Create, list, get and delete per tenant; bad URLs, private targets and unknown events are refused with their param")
    func api() throws {
        let harness = try APIHarness()
        let missing = try harness.call("POST", "/v1/webhooks", json: ["events": ["fine_tuning.job.succeeded"]])
        #expect(missing.status == 400 && missing.json["error"]?["param"] == "url")
        for url in ["ftp://example.com/", "not a url", "http://user:pw@example.com/"] {
            let bad = try harness.call("POST", "/v1/webhooks", json: ["url": .string(url)])
            #expect(bad.status == 400 && bad.json["error"]?["code"] == "invalid_url", "\(url)")
        }
        for url in ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.0.0.8/", "http://169.254.169.254/latest", "http://[::1]/"] {
            let inward = try harness.call("POST", "/v1/webhooks", json: ["url": .string(url)])
            #expect(inward.status == 400 && inward.json["error"]?["message"]?.string?.contains("ANNEAL_WEBHOOK_ALLOW_PRIVATE") == true, "\(url)")
        }
        let unknown = try harness.call("POST", "/v1/webhooks", json: ["url": "http://8.8.8.8/hook", "events": ["fine_tuning.job.done"]])
        #expect(unknown.status == 400 && unknown.json["error"]?["param"] == "events")

        let created = try harness.call("POST", "/v1/webhooks", json: ["url": "https://8.8.8.8/hook"])
        #expect(created.status == 200)
        let id = try #require(created.json["id"]?.string)
        #expect(created.json["secret"]?.string?.hasPrefix("whsec_") == true)
        #expect(created.json["events"] == ["fine_tuning.job.succeeded", "fine_tuning.job.failed", "fine_tuning.job.cancelled"])
        let listed = try harness.call("GET", "/v1/webhooks").json
        #expect(listed["data"]?.array?.map { $0["id"] } == [.string(id)] && listed["data"]?[0]?["secret"] == nil)
        #expect(try harness.call("GET", "/v1/webhooks/\(id)").json["url"] == "https://8.8.8.8/hook")

        #expect(try harness.call("GET", "/v1/webhooks/\(id)", key: harness.keyB).status == 404)
        #expect(try harness.call("GET", "/v1/webhooks/\(id)/deliveries", key: harness.keyB).status == 404)
        #expect(try harness.call("DELETE", "/v1/webhooks/\(id)", key: harness.keyB).status == 404)
        #expect(try harness.call("GET", "/v1/webhooks", key: harness.keyB).json["data"] == [])
        #expect(try harness.call("DELETE", "/v1/webhooks/\(id)").json["deleted"] == true)
        #expect(try harness.call("GET", "/v1/webhooks/\(id)").status == 404)

        for _ in 0..<Webhooks.maxPerTenant {
            #expect(try harness.call("POST", "/v1/webhooks", json: ["url": "https://8.8.8.8/hook"]).status == 200)
        }
        let tooMany = try harness.call("POST", "/v1/webhooks", json: ["url": "https://8.8.8.8/hook"])
        #expect(tooMany.status == 400 && tooMany.json["error"]?["message"]?.string?.contains("at most 20 webhooks") == true)
    }

    @Test("A cancelled job's delivery arrives signed and verifiable, and is listed with its attempt")
    func signedDelivery() throws {
        let receiver = try WebhookReceiver()
        let harness = try APIHarness(configure: Self.allowingLoopback)
        let created = try harness.call("POST", "/v1/webhooks", json: ["url": .string(receiver.url),
                                                                        "events": ["fine_tuning.job.cancelled", "fine_tuning.job.succeeded"]])
        let webhook = try #require(created.json["id"]?.string), secret = try #require(created.json["secret"]?.string)
        let job = try #require(try harness.createJob(file: try harness.upload()).json["id"]?.string)
        #expect(try harness.call("POST", "/v1/fine_tuning/jobs/\(job)/cancel").status == 200)

        let delivery = try #require(receiver.wait(for: 1, timeout: 10).first)
        let id = try #require(delivery.headers["webhook-id"]), timestamp = try #require(delivery.headers["webhook-timestamp"])
        #expect(WebhookSignature.verify(secret: secret, id: id, timestamp: timestamp, signatures: delivery.headers["webhook-signature"] ?? "",
                                        body: delivery.body, now: WallClock.unixSeconds))
        let payload = try JSONValue(parsing: delivery.body)
        #expect(payload["type"] == "fine_tuning.job.cancelled" && payload["object"] == "event")
        #expect(payload["data"]?["id"] == .string(job) && payload["data"]?["status"] == "cancelled")

        var listed = JSONValue.null
        for _ in 0..<50 {  // the row is marked delivered just after the receiver answers
            listed = try harness.call("GET", "/v1/webhooks/\(webhook)/deliveries").json
            if listed["data"]?[0]?["status"] == "delivered" { break }
            sleep(seconds: 0.1)
        }
        let row = try #require(listed["data"]?[0])
        #expect(row["id"] == .string(id) && row["status"] == "delivered" && row["attempts"] == 1 && row["job_id"] == .string(job))
        #expect(row["attempt_list"]?[0]?["response_status"] == 200 && row["payload"] == payload)
    }

    @Test("With the receiver down for a minute and Anneal restarted meanwhile, the delivery is retried and arrives once it is back")
    func retriedAcrossRestart() throws {
        let receiver = try WebhookReceiver()
        let (url, drop) = try TestDatabase.create()
        var first: APIHarness? = try APIHarness(databaseURL: url, configure: Self.allowingLoopback)
        let created = try first!.call("POST", "/v1/webhooks", json: ["url": .string(receiver.url), "events": ["fine_tuning.job.cancelled"]])
        let webhook = try #require(created.json["id"]?.string), secret = try #require(created.json["secret"]?.string)
        let port = receiver.port

        // First the receiver answers 503, then it is gone altogether.
        receiver.status.withLock { $0 = .serviceUnavailable }
        let job = try #require(try first!.createJob(file: try first!.upload()).json["id"]?.string)
        #expect(try first!.call("POST", "/v1/fine_tuning/jobs/\(job)/cancel").status == 200)
        sleep(seconds: 2)
        receiver.stop()
        let downSince = MonotonicClock.now
        sleep(seconds: 10)
        first = nil  // Anneal stops while the delivery is still owed
        let second = try APIHarness(databaseURL: url, drop: drop, configure: Self.allowingLoopback)
        sleep(seconds: max(0, 60 - (MonotonicClock.now - downSince)))
        receiver.status.withLock { $0 = .ok }
        try receiver.start()
        #expect(receiver.port == port)

        let arrived = receiver.wait(for: 1, timeout: 15)
        #expect(arrived.count == 1)
        let delivery = try #require(arrived.first)
        #expect(WebhookSignature.verify(secret: secret, id: delivery.headers["webhook-id"] ?? "", timestamp: delivery.headers["webhook-timestamp"] ?? "",
                                        signatures: delivery.headers["webhook-signature"] ?? "", body: delivery.body, now: WallClock.unixSeconds))
        sleep(seconds: 0.5)
        let row = try #require(try second.call("GET", "/v1/webhooks/\(webhook)/deliveries").json["data"]?[0])
        let attempts = row["attempt_list"]?.array ?? []
        #expect(row["status"] == "delivered" && attempts.count >= 5, "retried while the receiver was down: \(attempts.count) attempts")
        #expect(attempts.first?["response_status"] == 503)
        #expect(attempts.dropFirst().dropLast().contains { $0["response_status"] == .null && $0["error"]?.string?.contains("connect") == true })
        #expect(attempts.last?["response_status"] == 200)
        #expect(receiver.wait(for: 2, timeout: 3).count == 1, "delivered once")
    }

    @Test("At delivery a host that now points inward is refused too, and the attempt records why")
    func refusedAtDelivery() throws {
        let (url, drop) = try TestDatabase.create()
        defer { drop() }
        let pool = ConnectionPool(url: url, size: 2)
        defer { pool.close() }
        _ = try pool.withConnection { connection in
            _ = try Migrator.migrate(connection, embeddedMigrations)
            try connection.execute("INSERT INTO tenant (id) VALUES ('t')")
            try connection.execute("""
                INSERT INTO webhook (id, tenant_id, url, events, secret) VALUES ('wh_1', 't', 'http://127.0.0.1:9/hook', '{fine_tuning.job.failed}', 'whsec_AAAA')
                """)
            try connection.execute("INSERT INTO webhook_delivery (id, webhook_id, event_type, payload) VALUES ('msg_1', 'wh_1', 'fine_tuning.job.failed', '{}')")
        }
        var settings = WebhookSettings()
        settings.maxAttempts = 1
        #expect(try WebhookDeliverer(pool: pool, settings: settings).deliverOne())
        let row = try #require(try pool.withConnection { try $0.query("SELECT status, last_error FROM webhook_delivery").first })
        #expect(try row.decode(String.self, "status") == "failed")
        #expect(try row.decode(String.self, "last_error").contains("127.0.0.1, a private, loopback or reserved address"))
    }
}
