@testable import Jobs
import JSON
import Platform
import Store
import Synchronization
import Testing
import TestSupport

@Suite("Job queue: claims, leases and the rescuer")
struct QueueTests {
    @Test("1,000 jobs claimed by 8 concurrent workers, each exactly once")
    func claimsAreExclusive() throws {
        let fixture = try QueueFixture()
        _ = try fixture.pool.withConnection { connection in
            try connection.execute("""
                INSERT INTO fine_tuning_job (id, tenant_id, model, architecture, training_file, seed, method, hyperparameters, status, validated_at)
                SELECT 'ftjob-' || n, \(fixture.tenant), 'base', 'test', \(fixture.file), 1, '{}', '{}', 'queued', now()
                FROM generate_series(1, 1000) AS n
                """)
        }
        let store = JobStore(pool: fixture.pool)
        let claims = Mutex<[String: [String]]>([:])
        concurrently(8) { worker in
            while let job = try? store.claim(worker: "worker-\(worker)") {
                claims.withLock { $0[job.id, default: []].append("worker-\(worker)") }
            }
        }
        let all = claims.withLock { $0 }
        #expect(all.count == 1000)
        #expect(all.values.allSatisfy { $0.count == 1 })
        #expect(Set(all.values.map { $0[0] }).count > 1, "claims should be spread over the workers")
        let running = try fixture.pool.withConnection { connection in
            try connection.query("SELECT count(*) AS n FROM fine_tuning_job WHERE status = 'running' AND attempt = 1 AND locked_by IS NOT NULL")[0]
                .decode(Int.self, "n")
        }
        #expect(running == 1000)
    }

    @Test("Claims follow priority, then schedule, and skip future and locked jobs")
    func claimOrder() throws {
        let fixture = try QueueFixture()
        let late = try fixture.addJob(status: "queued")
        let urgent = try fixture.addJob(status: "queued")
        let future = try fixture.addJob(status: "queued")
        try fixture.pool.withConnection { connection in
            try connection.execute("UPDATE fine_tuning_job SET priority = 2 WHERE id = \(late)")
            try connection.execute("UPDATE fine_tuning_job SET scheduled_at = now() + interval '1 hour' WHERE id = \(future)")
        }
        let store = JobStore(pool: fixture.pool)
        #expect(try store.claim(worker: "w")?.id == urgent)
        #expect(try store.claim(worker: "w")?.id == late)
        #expect(try store.claim(worker: "w") == nil)
    }

    @Test("Ordinary workers validate every job but train only one-process jobs; a gang of N ranks validates and trains N-node jobs")
    func gangClaims() throws {
        let fixture = try QueueFixture()
        let validating = try fixture.addJob(status: "validating_files")
        let twoNodes = try fixture.addJob(status: "queued")
        let fourNodes = try fixture.addJob(status: "queued")
        let gangValidates = try fixture.addJob(status: "validating_files")
        try fixture.pool.withConnection { connection in
            try connection.execute("UPDATE fine_tuning_job SET nodes = 2 WHERE id IN (\(validating), \(twoNodes))")
            try connection.execute("UPDATE fine_tuning_job SET nodes = 4 WHERE id IN (\(fourNodes), \(gangValidates))")
        }
        let store = JobStore(pool: fixture.pool)
        #expect(try store.claim(worker: "w")?.id == validating)
        let four = try store.claim(worker: "gang-4", nodes: 4)
        #expect(four?.id == fourNodes && four?.status == .running && four?.nodes == 4)
        let validated = try store.claim(worker: "gang-4b", nodes: 4)
        #expect(validated?.id == gangValidates && validated?.status == .validatingFiles)
        #expect(try store.claim(worker: "w") == nil)
        #expect(try store.claim(worker: "gang-3", nodes: 3) == nil)
        let claimed = try store.claim(worker: "gang-2", nodes: 2)
        #expect(claimed?.id == twoNodes && claimed?.nodes == 2 && claimed?.status == .running)
    }

    @Test("A job released with a delay waits that long before a worker can claim it; without one it keeps its place")
    func releaseWithDelay() throws {
        let fixture = try QueueFixture()
        let delayed = try fixture.addJob(status: "queued")
        let store = JobStore(pool: fixture.pool)
        #expect(try store.claim(worker: "w")?.id == delayed)
        try store.release(job: delayed, worker: "w", requeue: true, refundAttempt: false, delaySeconds: 40)
        #expect(try store.claim(worker: "w") == nil)
        let wait = try fixture.pool.withConnection { connection in
            try connection.query("SELECT extract(epoch FROM scheduled_at - now())::float8 AS s, status FROM fine_tuning_job WHERE id = \(delayed)")[0]
        }
        #expect(try wait.decode(String.self, "status") == "queued")
        #expect(try (38.0...40.0).contains(wait.decode(Double.self, "s")))

        let next = try fixture.addJob(status: "queued")
        let before = try fixture.pool.withConnection { try $0.query("SELECT scheduled_at::text AS t FROM fine_tuning_job WHERE id = \(next)")[0].decode(String.self, "t") }
        #expect(try store.claim(worker: "w")?.id == next)
        try store.release(job: next, worker: "w", requeue: true, refundAttempt: true)
        let after = try fixture.pool.withConnection { try $0.query("SELECT scheduled_at::text AS t FROM fine_tuning_job WHERE id = \(next)")[0].decode(String.self, "t") }
        #expect(before == after)
        #expect(try store.claim(worker: "w")?.id == next)
    }

    @Test("After a database fault the next attempt waits 10, 40, 160, then at most 600 seconds")
    func databaseFaultBackoff() {
        #expect((1...6).map { JobRunner.retryDelay(afterAttempt: $0) } == [10, 40, 160, 600, 600, 600])
    }

    @Test("The claim reads the partial index of claimable jobs in claim order: no scan of the table, no sort")
    func claimUsesTheIndex() throws {
        let fixture = try QueueFixture()
        for status in ["queued", "validating_files", "running", "paused"] { try fixture.addJob(status: status) }
        let store = JobStore(pool: fixture.pool)
        let plan = try fixture.pool.transaction { connection in
            try connection.execute("SET LOCAL enable_seqscan = off")
            let explain: Query = "EXPLAIN \(store.claimQuery(worker: "w"))"
            return try connection.query(explain).map { try $0.decode(String.self, "QUERY PLAN") }.joined(separator: "\n")
        }
        #expect(plan.contains("fine_tuning_job_claimable"), "\(plan)")
        #expect(!plan.contains("Sort"), "\(plan)")
    }

    @Test("A job whose worker died is requeued after its lease expires, and its attempt is counted")
    func leaseExpiryRequeues() throws {
        let fixture = try QueueFixture()
        let job = try fixture.addJob(status: "queued", maxAttempts: 2)
        let store = JobStore(pool: fixture.pool, lease: 0.3)
        let maintainer = Maintainer(store: store, id: "leader-test")

        #expect(try store.claim(worker: "doomed")?.attempt == 1)
        #expect(maintainer.runOnce().isEmpty, "the lease has not expired yet")
        sleep(seconds: 0.5)
        let rescued = maintainer.runOnce()
        #expect(rescued.map(\.id) == [job] && rescued.first?.status == .queued)
        var state = try fixture.status(job)
        #expect(state.status == "queued" && state.attempt == 1 && state.lockedBy == nil)

        let second = try store.claim(worker: "next")
        #expect(second?.id == job && second?.attempt == 2)
        sleep(seconds: 0.5)
        #expect(maintainer.runOnce().first?.status == .failed)
        state = try fixture.status(job)
        #expect(state.status == "failed" && state.attempt == 2)
        #expect(state.error?.contains("stopped responding") == true)
        #expect(try fixture.events(job).contains { $0.contains("job requeued") })
        let errors = try fixture.pool.withConnection { try $0.query("SELECT cardinality(errors) AS n FROM fine_tuning_job WHERE id = \(job)")[0].decode(Int.self, "n") }
        #expect(errors == 2)
    }

    @Test("Heartbeats keep a lease alive")
    func heartbeatsExtendLease() throws {
        let fixture = try QueueFixture()
        let job = try fixture.addJob(status: "queued")
        let store = JobStore(pool: fixture.pool, lease: 0.4)
        let maintainer = Maintainer(store: store, id: "leader-test")
        _ = try store.claim(worker: "alive")
        for _ in 0..<4 {
            sleep(seconds: 0.2)
            #expect(try store.heartbeat(job: job, worker: "alive") == .running)
            #expect(maintainer.runOnce().isEmpty)
        }
        #expect(try store.heartbeat(job: job, worker: "someone-else") == nil)
    }

    @Test("Only one process leads at a time; a resigned leader is replaced at once")
    func leaderElection() throws {
        let fixture = try QueueFixture()
        let store = JobStore(pool: fixture.pool)
        let first = Maintainer(store: store, id: "first")
        let second = Maintainer(store: store, id: "second")
        #expect(try first.elect())
        #expect(try !second.elect())
        #expect(try first.elect(), "the leader renews")
        first.resign()
        #expect(try second.elect())
    }

    @Test("A running maintainer that resigns holds no leadership afterwards: no election runs after resign")
    func resignStopsTheLoop() throws {
        let fixture = try QueueFixture()
        let store = JobStore(pool: fixture.pool)
        // Loops that elect back to back, so resign lands while an election is in flight.
        var reelected = 0
        for round in 0..<100 {
            let busy = Maintainer(store: store, id: "busy-\(round)", interval: 0)
            busy.start()
            sleep(seconds: 0.01)
            busy.resign()
            sleep(seconds: 0.01)
            reelected += try fixture.pool.withConnection { try $0.query("SELECT leader_id FROM leader").count }
            _ = try fixture.pool.withConnection { try $0.execute("DELETE FROM leader") }
        }
        #expect(reelected == 0, "a resigned maintainer elected itself again")
        #expect(try Maintainer(store: store, id: "next").elect(), "another process takes over at once")
    }

    @Test("A job lost while validating counts the attempt, and fails after max_attempts")
    func validationLossCounts() throws {
        let fixture = try QueueFixture()
        let job = try fixture.addJob(status: "validating_files", maxAttempts: 2)
        let store = JobStore(pool: fixture.pool, lease: 0.2)
        let maintainer = Maintainer(store: store, id: "leader-test")
        #expect(try store.claim(worker: "crashy")?.status == .validatingFiles)
        sleep(seconds: 0.35)
        #expect(maintainer.runOnce().first?.status == .validatingFiles)
        #expect(try fixture.status(job).attempt == 1)
        _ = try store.claim(worker: "crashy-again")
        sleep(seconds: 0.35)
        #expect(maintainer.runOnce().first?.status == .failed)
        #expect(try fixture.status(job).error?.contains("stopped responding 2 times") == true)
    }

    @Test("A job resumed while its dead worker still holds it is rescued without breaking the rescuer")
    func rescueResumedLockedJob() throws {
        let fixture = try QueueFixture()
        let stuck = try fixture.addJob(status: "queued", maxAttempts: 1)
        let store = JobStore(pool: fixture.pool, lease: 0.2)
        _ = try store.claim(worker: "dead")
        let other = try fixture.addJob(status: "queued", maxAttempts: 3)
        _ = try store.claim(worker: "dead-too")
        _ = try fixture.pool.withConnection { connection in
            try connection.execute("UPDATE fine_tuning_job SET status = 'queued' WHERE id = \(stuck)")  // paused, then resumed
        }
        sleep(seconds: 0.35)
        let rescued = Maintainer(store: store, id: "leader-test").runOnce()
        #expect(Set(rescued.map(\.id)) == [stuck, other])
        #expect(try fixture.status(stuck).status == "failed" && fixture.status(other).status == "queued")
    }
}
