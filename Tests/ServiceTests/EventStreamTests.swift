import HTTP
import Jobs
import JSON
import Platform
import Store
import Testing
import TestSupport

/// The job event stream: events as server-sent events, live through LISTEN/NOTIFY, resumed
/// after a restart of the API process with `Last-Event-ID`, each exactly once and in order.
@Suite("Job event stream")
struct EventStreamTests {
    /// Server-sent events read from a stream: (event, id, data) each.
    final class Reader {
        let client: TestClient
        var pending = ""
        var received: [(event: String, id: String?, data: JSONValue)] = []

        init(port: Int, key: String, job: String, lastEventID: String? = nil) throws {
            client = try TestClient(port: port, timeout: 10)
            var headers = [("Authorization", "Bearer \(key)")]
            if let lastEventID { headers.append(("Last-Event-ID", lastEventID)) }
            var head = "GET /v1/fine_tuning/jobs/\(job)/events?stream=true HTTP/1.1\r\nHost: test\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            try client.send(head + "\r\n")
            let response = try #require(try client.readStreamHead())
            #expect(response.status == 200 && response.headers["Content-Type"] == "text/event-stream")
        }

        /// Reads until `done` says enough was received; false when the stream ended or stalled first.
        func read(until done: () -> Bool) throws -> Bool {
            while !done() {
                guard let chunk = try client.nextChunk(), !chunk.isEmpty else { return false }
                pending += String(decoding: chunk, as: UTF8.self)
                while let end = pending.firstRange(of: "\n\n") {
                    let block = pending[..<end.lowerBound]
                    pending = String(pending[end.upperBound...])
                    var event = "message", id: String?, data = ""
                    for line in block.split(separator: "\n") {
                        if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                        if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
                        if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
                    }
                    if !data.isEmpty { received.append((event, id, try JSONValue(parsing: Array(data.utf8)))) }
                }
            }
            return true
        }

        var jobEvents: [(id: String, message: String)] {
            received.filter { $0.event == "fine_tuning.job.event" }.map { ($0.id ?? "", $0.data["message"]?.string ?? "") }
        }
    }

    static func addEvent(_ pool: ConnectionPool, job: String, _ message: String) throws {
        _ = try pool.withConnection { connection in try JobEvents.add(connection, job: job, message: message) }
    }

    @Test("Every event exactly once and in order, live and across a restart of the API with Last-Event-ID")
    func throughARestart() throws {
        let (url, drop) = try TestDatabase.create()
        let pool = ConnectionPool(url: url, size: 2)
        defer { pool.close() }
        var first: APIHarness? = try APIHarness(databaseURL: url, drop: {})
        let job = try #require(try first!.createJob(file: try first!.upload()).json["id"]?.string)

        // The stored events, then one written while the stream is open.
        let before = try Reader(port: first!.port, key: first!.keyA, job: job)
        #expect(try before.read { before.jobEvents.count >= 2 })
        try Self.addEvent(pool, job: job, "live before the restart")
        #expect(try before.read { before.jobEvents.count >= 3 })
        #expect(before.received.contains { $0.event == "progress" && $0.data["status"] == "validating_files" })
        let lastSeen = try #require(before.jobEvents.last?.id)

        // The API process goes away; events keep being written meanwhile.
        first = nil
        for n in 1...3 { try Self.addEvent(pool, job: job, "while the API is down \(n)") }
        let second = try APIHarness(databaseURL: url, drop: drop)
        let after = try Reader(port: second.port, key: second.keyA, job: job, lastEventID: lastSeen)
        #expect(try after.read { after.jobEvents.count >= 3 })
        try Self.addEvent(pool, job: job, "live after the restart")
        #expect(try after.read { after.jobEvents.count >= 4 })
        // Cancelled: its event comes, then `done`, and the stream ends.
        let cancelled = try second.call("POST", "/v1/fine_tuning/jobs/\(job)/cancel", key: second.keyA)
        #expect(cancelled.status == 200)
        #expect(try after.read { after.received.contains { $0.event == "done" } })
        #expect(after.received.last?.data["status"] == "cancelled")

        let stored = try pool.withConnection { connection in
            try connection.query("SELECT id FROM fine_tuning_job_event WHERE job_id = \(job) ORDER BY seq").map { try $0.decode(String.self, "id") }
        }
        let streamed = (before.jobEvents + after.jobEvents).map(\.id)
        #expect(streamed == stored, "every stored event exactly once, in order")
        #expect(after.jobEvents.first?.message == "while the API is down 1")
    }

    @Test("A Last-Event-ID of another job is refused, another tenant's job is not found")
    func refusals() throws {
        let api = try APIHarness()
        let job = try #require(try api.createJob(file: try api.upload()).json["id"]?.string)
        let other = try #require(try api.createJob(file: try api.upload()).json["id"]?.string)
        let events = try api.call("GET", "/v1/fine_tuning/jobs/\(other)/events").json["data"]?.array ?? []
        let foreign = try #require(events.first?["id"]?.string)
        let client = try TestClient(port: api.port)
        let refused = try client.request("GET", "/v1/fine_tuning/jobs/\(job)/events?stream=true",
                                         headers: [("Authorization", "Bearer \(api.keyA)"), ("Last-Event-ID", foreign)])
        #expect(refused.status == 400 && refused.json["error"]?["code"] == "invalid_last_event_id")
        let hidden = try client.request("GET", "/v1/fine_tuning/jobs/\(job)/events?stream=true", headers: [("Authorization", "Bearer \(api.keyB)")])
        #expect(hidden.status == 404)
    }
}
