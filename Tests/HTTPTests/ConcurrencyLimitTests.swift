@testable import HTTP
import JSON
import Platform
import Testing
import TestSupport

/// A bounded route (limit 2 per `model` query value) whose handler for model `held` waits until
/// the test opens the gate, and a streaming one under the same limit.
final class GatedServer {
    let server: Server
    let limit = ConcurrencyLimit(name: "test", limit: 2, retryAfter: 3) { $0.queryValue("model") ?? "" }
    let gate = ConditionLock(false)

    init() throws {
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.loopThreads = 1
        configuration.handlerThreads = 8
        let (limit, gate) = (limit, gate)
        let router = Router { routes in
            routes.add("GET", "/infer", RouteOptions(limit: limit)) { request, _ in
                if request.queryValue("model") == "held" { gate.withLock(when: { $0 }) { _, _ in } }
                return .text("done")
            }
            routes.add("GET", "/stream", RouteOptions(limit: limit)) { _, _ in
                HTTPResponse(stream: HTTPBodyStream { write in
                    try write(Array("first".utf8))
                    gate.withLock(when: { $0 }) { _, _ in }
                    try write(Array("last".utf8))
                })
            }
        }
        server = Server(configuration: configuration, router: router, metrics: RequestMetrics())
        try server.start()
    }

    func open() {
        gate.withLock { $0 = true }
        gate.broadcast()
    }

    func waitForInFlight(_ key: String, _ count: Int) -> Bool {
        let deadline = MonotonicClock.now + 5
        while MonotonicClock.now < deadline {
            if limit.inFlight(key) == count { return true }
            sleep(seconds: 0.005)
        }
        return false
    }

    deinit {
        open()
        server.shutdown(grace: 2)
    }
}

@Suite("Concurrency limits: a bounded queue per model, 429 past it")
struct ConcurrencyLimitTests {
    @Test("Past the limit a request gets 429 with Retry-After at once; other models and later requests go through")
    func rejectsPastTheLimit() throws {
        let gated = try GatedServer()
        let port = gated.server.port
        let held = ConditionLock<[Int]>([])
        for _ in 0..<2 {
            Thread.spawn(name: "test") {
                let status = (try? TestClient(port: port).request("GET", "/infer?model=held").status) ?? -1
                held.withLock { $0.append(status) }
                held.broadcast()
            }
        }
        #expect(gated.waitForInFlight("held", 2))

        let started = MonotonicClock.now
        let rejected = try TestClient(port: port).request("GET", "/infer?model=held")
        #expect(rejected.status == 429)
        #expect(rejected.headers["Retry-After"] == "3")
        #expect(rejected.json["error"]?["code"] == "too_many_requests")
        #expect(rejected.json["error"]?["type"] == "rate_limit_error")
        #expect(MonotonicClock.now - started < 1, "the 429 does not wait for the held requests")

        // Another key has its own queue.
        #expect(try TestClient(port: port).request("GET", "/infer?model=other").status == 200)

        gated.open()
        #expect(held.withLock(when: { $0.count == 2 }, timeout: 5) { statuses, _ in statuses } == [200, 200])
        #expect(gated.waitForInFlight("held", 0))
        #expect(try TestClient(port: port).request("GET", "/infer?model=held").status == 200)
        let metrics = gated.limit.render()
        #expect(metrics.contains("anneal_concurrency_rejected_total{limit=\"test\"} 1"))
        #expect(metrics.contains("anneal_concurrency_admitted_total{limit=\"test\"} 4"))
        #expect(metrics.contains("anneal_concurrency_in_flight{limit=\"test\"} 0"))
        #expect(!metrics.contains("held"), "model names stay out of the unauthenticated metrics")
    }

    @Test("A streamed response holds its place until the stream ends")
    func streamsHoldTheirPlace() throws {
        let gated = try GatedServer()
        let port = gated.server.port
        let streams = try (0..<2).map { _ in try TestClient(port: port) }
        for client in streams {
            try client.send("GET /stream?model=s HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readStreamHead()?.status == 200)
        }
        #expect(gated.waitForInFlight("s", 2))
        #expect(try TestClient(port: port).request("GET", "/stream?model=s").status == 429)
        gated.open()
        for client in streams {
            while let chunk = try client.nextChunk(), !chunk.isEmpty {}
        }
        #expect(gated.waitForInFlight("s", 0))
    }
}
