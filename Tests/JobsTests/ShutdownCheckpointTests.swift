@testable import Jobs
import Platform
import Store
import Testing
import TestSupport

/// On shutdown a trainer saves a checkpoint first, but only when it fits in the grace period:
/// a save that would outlast it leaves the job locked until its lease expires, which costs an
/// attempt; resuming from the previous checkpoint costs only steps.
@Suite("Shutdown checkpoints")
struct ShutdownCheckpointTests {
    @Test("Saved before stopping only on shutdown, and only when it fits in the time left")
    func fitsInTheGrace() throws {
        let fixture = try QueueFixture()
        try fixture.addJob(status: "queued")
        let store = JobStore(pool: fixture.pool)
        let job = try #require(try store.claim(worker: "w"))
        let context = JobContext(job: job, store: store, worker: "w")
        let hooks = JobTrainingHooks(context: context)
        #expect(!hooks.savesBeforeStopping(checkpointBytes: 1000), "not shutting down")
        context.interrupt(.statusChanged(.cancelled))
        #expect(!hooks.savesBeforeStopping(checkpointBytes: 1000), "a cancel needs no checkpoint")

        let shuttingDown = JobContext(job: job, store: store, worker: "w")
        let shutdownHooks = JobTrainingHooks(context: shuttingDown)
        shuttingDown.interrupt(.shutdown, deadline: MonotonicClock.now + 2)
        // Before any save is measured, 50 MB/s with a margin of 2: 10 MB fits in 2 s, 100 MB does not.
        #expect(shutdownHooks.savesBeforeStopping(checkpointBytes: 10_000_000))
        #expect(!shutdownHooks.savesBeforeStopping(checkpointBytes: 100_000_000))
        // This job's checkpoints were written at 1 GB/s: 100 MB fits.
        shuttingDown.recordSave(bytes: 1_000_000_000, seconds: 1)
        #expect(shutdownHooks.savesBeforeStopping(checkpointBytes: 100_000_000))
    }
}
