import Platform
import Store
import TestSupport
import Testing

@Suite struct PoolTests {
    @Test func manyThreadsShareFourConnections() throws {
        try withDatabase { url in
            let pool = ConnectionPool(url: url, size: 4)
            defer { pool.close() }
            try pool.withConnection { db in
                try db.executeScript("CREATE TABLE counter (n int NOT NULL); INSERT INTO counter VALUES (0)")
            }
            struct Tally { var inUse = 0, maxInUse = 0, pids: Set<Int> = [], failures: [String] = [] }
            let tally = ConditionLock(Tally())
            concurrently(16) { _ in
                for _ in 0..<25 {
                    do {
                        try pool.transaction { db in
                            tally.withLock { $0.inUse += 1; $0.maxInUse = max($0.maxInUse, $0.inUse) }
                            defer { tally.withLock { $0.inUse -= 1 } }
                            let row = try db.query("UPDATE counter SET n = n + \(1) RETURNING pg_backend_pid() AS pid")
                            let pid = try row[0].decode(Int.self, "pid")
                            tally.withLock { _ = $0.pids.insert(pid) }
                        }
                    } catch {
                        tally.withLock { $0.failures.append(String(reflecting: error)) }
                    }
                }
            }
            let result = tally.withLock { $0 }
            #expect(result.failures.isEmpty, "\(result.failures.prefix(3))")
            #expect(result.maxInUse <= 4)
            #expect(result.maxInUse >= 2)  // threads really did overlap
            #expect(result.pids.count <= 4)
            let total = try pool.withConnection { db in try db.query("SELECT n FROM counter")[0].decode(Int.self, "n") }
            #expect(total == 16 * 25)
        }
    }

    @Test func waitingForAFullPoolTimesOutAsUnavailable() throws {
        try withDatabase { url in
            let pool = ConnectionPool(url: url, size: 1, acquireTimeout: 0.2)
            let start = MonotonicClock.now
            defer { pool.close() }
            let error = storeError {
                try pool.withConnection { _ in try pool.withConnection { _ in } }
            }
            #expect(error?.code == .unavailable)
            #expect(MonotonicClock.now - start < 2)
            let count = try pool.withConnection { db in try db.query("SELECT 1 AS one").count }
            #expect(count == 1)
        }
    }

    @Test func openTransactionIsRolledBackOnRelease() throws {
        try withDatabase { url in
            let pool = ConnectionPool(url: url, size: 1)
            defer { pool.close() }
            try pool.withConnection { db in
                try db.execute("CREATE TABLE t (n int)")
                try db.execute("BEGIN")
                try db.execute("INSERT INTO t VALUES (\(1))")
            }
            let count = try pool.withConnection { db in try db.query("SELECT count(*) AS c FROM t")[0].decode(Int.self, "c") }
            #expect(count == 0)
        }
    }

    @Test func closedPoolRefuses() throws {
        try withDatabase { url in
            let pool = ConnectionPool(url: url, size: 2)
            try pool.withConnection { db in _ = try db.query("SELECT 1") }
            pool.close()
            #expect(storeError { try pool.withConnection { _ in } }?.code == .unavailable)
        }
    }
}

/// Tests that stop and restart a server of their own; serialized to spare the two cores.
@Suite(.serialized) struct RestartTests {
    @Test func poolIsUnavailableWhileDownAndRecoversAfterRestart() throws {
        let cluster = try PrivateCluster()
        defer { cluster.destroy() }
        let pool = ConnectionPool(url: cluster.url, size: 4)
        defer { pool.close() }
        // Four connections, all left idle in the pool, to go stale when the server stops.
        concurrently(4) { _ in _ = try? pool.withConnection { db in try db.query("SELECT pg_sleep(0.2)") } }
        let before = try pool.withConnection { db in try db.query("SELECT 1 AS one")[0].decode(Int.self, "one") }
        #expect(before == 1)

        cluster.stop()
        for _ in 0..<2 {
            let start = MonotonicClock.now
            let error = storeError { try pool.withConnection { db in _ = try db.query("SELECT 1") } }
            #expect(error?.code == .unavailable, "\(String(describing: error.map { String(reflecting: $0) }))")
            #expect(MonotonicClock.now - start < 5)
        }

        try cluster.start()
        // The first use after the restart succeeds: stale idle connections are noticed and replaced.
        for _ in 0..<4 {
            let value = try pool.withConnection { db in try db.query("SELECT 2 AS two")[0].decode(Int.self, "two") }
            #expect(value == 2)
        }
    }

    @Test func connectionLostMidSessionIsUnavailableAndBroken() throws {
        let cluster = try PrivateCluster()
        defer { cluster.destroy() }
        let db = try Connection(url: cluster.url)
        _ = try db.query("SELECT 1")
        cluster.stop()
        let error = storeError { _ = try db.query("SELECT 1") }
        #expect(error?.code == .unavailable)
        #expect(db.isBroken)
        try cluster.start()
        #expect(storeError { _ = try db.query("SELECT 1") }?.code == .unavailable)  // stays broken
        #expect(try Connection(url: cluster.url).query("SELECT 1 AS one").count == 1)
    }

    @Test func listenerReceivesAndSurvivesRestart() throws {
        let cluster = try PrivateCluster()
        defer { cluster.destroy() }
        let listener = Listener(url: cluster.url, channels: ["jobs", "Mixed \"Case\""])
        #expect(listener.fileDescriptor >= 0)
        let sender = try Connection(url: cluster.url)
        try sender.notify(channel: "jobs", payload: "hello")
        let first = listener.wait(timeout: 5)
        #expect(first.map(\.channel) == ["jobs"] && first.map(\.payload) == ["hello"])

        try sender.notify(channel: "Mixed \"Case\"", payload: "ünï")
        try sender.notify(channel: "other", payload: "not for us")
        let second = listener.wait(timeout: 5)
        #expect(second.map(\.channel) == ["Mixed \"Case\""] && second.map(\.payload) == ["ünï"])
        #expect(listener.wait(timeout: 0.2).isEmpty)

        cluster.stop()
        let start = MonotonicClock.now
        #expect(listener.wait(timeout: 1).isEmpty)
        #expect(MonotonicClock.now - start < 3)
        #expect(listener.fileDescriptor == -1)
        try cluster.start()
        let deadline = MonotonicClock.now + 20
        while listener.fileDescriptor < 0 && MonotonicClock.now < deadline { _ = listener.wait(timeout: 0.2) }
        #expect(listener.fileDescriptor >= 0)
        try Connection(url: cluster.url).notify(channel: "jobs", payload: "after restart")
        let third = listener.wait(timeout: 5)
        #expect(third.map(\.payload) == ["after restart"])
    }
}
