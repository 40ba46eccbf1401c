@testable import Jobs
import Platform
import Store
import Testing
import TestSupport

@Suite("What autoscalers and alerts read off the queue")
struct QueueStateTests {
    @Test("Runnable plus claimed jobs are wanted; future, paused and finished ones are not; expired leases and the oldest wait are counted")
    func figures() throws {
        let fixture = try QueueFixture()
        let old = try fixture.addJob(status: "queued")
        try fixture.addJob(status: "validating_files")
        let future = try fixture.addJob(status: "queued")
        let live = try fixture.addJob(status: "queued")
        let dead = try fixture.addJob(status: "queued")
        try fixture.addJob(status: "paused")
        let gang = try fixture.addJob(status: "queued")
        try fixture.pool.withConnection { connection in
            // A two-node job trains on an MPI gang, not on a worker the autoscaler starts.
            try connection.execute("UPDATE fine_tuning_job SET nodes = 2 WHERE id = \(gang)")
            try connection.execute("UPDATE fine_tuning_job SET scheduled_at = now() - interval '90 seconds' WHERE id = \(old)")
            try connection.execute("UPDATE fine_tuning_job SET scheduled_at = now() + interval '1 hour' WHERE id = \(future)")
            try connection.execute("""
                UPDATE fine_tuning_job SET status = 'running', locked_by = 'w', lease_expires_at = now() + interval '30 seconds'
                WHERE id = \(live)
                """)
            try connection.execute("""
                UPDATE fine_tuning_job SET status = 'running', locked_by = 'gone', lease_expires_at = now() - interval '1 second'
                WHERE id = \(dead)
                """)
            try connection.execute("""
                INSERT INTO fine_tuning_job (id, tenant_id, model, architecture, training_file, seed, method, hyperparameters, status, finished_at)
                SELECT 'ftjob-done-' || n, \(fixture.tenant), 'base', 'test', \(fixture.file), 1, '{}', '{}', 'succeeded', now()
                FROM generate_series(1, 50) AS n
                """)
        }
        let state = try fixture.pool.withConnection { try JobStore.queueState($0) }
        // The due queued job, the validating one, the one in training and the one whose worker died.
        #expect(state.workersWanted == 4)
        #expect(state.expiredLeases == 1)
        #expect(state.oldestAge >= 90 && state.oldestAge < 120, "\(state.oldestAge)")

        try fixture.pool.withConnection { connection in
            try connection.execute("UPDATE fine_tuning_job SET status = 'cancelled', finished_at = now(), locked_by = NULL, lease_expires_at = NULL")
        }
        #expect(try fixture.pool.withConnection { try JobStore.queueState($0) } == QueueState(oldestAge: 0, expiredLeases: 0, workersWanted: 0))
    }

    @Test("KEDA's trigger in k8s/components/keda runs the same query as anneal_workers_wanted")
    func kedaRunsTheSameQuery() throws {
        let path = repositoryRoot + "/k8s/components/keda/worker-scaledobject.yaml"
        let lines = String(decoding: try #require(Files.read(path)), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.trimmingPrefix(while: { $0 == " " }).hasPrefix("query: >-") })
        let indent = lines[start].prefix { $0 == " " }.count
        let body = lines[(start + 1)...].prefix { $0.prefix { $0 == " " }.count > indent }
        let words = { (text: String) in text.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ") }
        #expect(words(body.joined(separator: "\n")) == words(JobStore.workersWantedQuery.sql))
    }
}
