import HTTP
import JSON
import Platform
import Store
import Synchronization
import Testing
import TestSupport

@Suite("Resilience: database restarts and concurrent starters", .serialized)
struct ResilienceTests {
    @Test("PostgreSQL stopped under the running server: 503, then recovery with nothing lost")
    func databaseRestart() throws {
        let cluster = try PrivateCluster()
        defer { cluster.destroy() }
        let api = try APIHarness(databaseURL: cluster.url)
        let file = try api.upload()
        let job = try api.createJob(file: file).json["id"]?.string ?? ""

        cluster.stop()
        let down = try api.call("GET", "/v1/files/\(file)")
        #expect(down.status == 503 && down.json["error"]?["code"] == "database_unavailable")
        #expect(down.headers["Retry-After"] == "1")
        let client = try TestClient(port: api.port)
        #expect(try client.request("GET", "/readyz").status == 503)
        #expect(try client.request("GET", "/healthz").status == 200)
        #expect(try client.request("GET", "/metrics").text.contains("anneal_database_up 0"))

        try cluster.start()
        var recovered: TestClient.Response?
        for _ in 0..<50 {
            recovered = try api.call("GET", "/v1/files/\(file)")
            if recovered?.status == 200 { break }
            sleep(seconds: 0.1)
        }
        #expect(recovered?.status == 200 && recovered?.json["id"] == .string(file))
        #expect(try api.call("GET", "/v1/fine_tuning/jobs/\(job)").json["status"] == "validating_files")
        #expect(try api.call("GET", "/v1/files/\(file)/content").body == APIHarness.training)
        #expect(try client.request("GET", "/readyz").status == 200)
    }

    @Test("Eight starters migrating one empty database at once apply each migration exactly once")
    func concurrentMigrations() throws {
        let (url, drop) = try TestDatabase.create()
        defer { drop() }
        let applied = Mutex<[Int]>([])
        let failures = Mutex<[String]>([])
        concurrently(8) { _ in
            do {
                let connection = try Connection(url: url)
                let versions = try Migrator.migrate(connection, embeddedMigrations)
                applied.withLock { $0 += versions }
            } catch {
                failures.withLock { $0.append(String(reflecting: error)) }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(applied.withLock { $0 }.sorted() == embeddedMigrations.map(\.version).sorted())
        let connection = try Connection(url: url)
        #expect(try Migrator.appliedVersions(connection) == embeddedMigrations.map(\.version))
        #expect(try Migrator.migrate(connection, embeddedMigrations).isEmpty, "a second run applies nothing")
    }
}
