import HTTP
import JSON
import Jobs
import Platform
import Testing
import TestSupport

/// Steps until interrupted, recording when it stopped.
struct EndlessTrainer: TrainingJob {
    let state = ConditionLock((steps: 0, stoppedAt: 0.0, reason: JobInterruption?.none))

    func train(_ context: JobContext) throws -> TrainingResult {
        while true {
            do {
                try context.throwIfInterrupted()
            } catch {
                state.withLock { $0.stoppedAt = MonotonicClock.now; $0.reason = error }
                state.broadcast()
                throw error
            }
            sleep(seconds: 0.02)
            state.withLock { $0.steps += 1 }
            state.broadcast()
            try context.reportProgress(step: state.withLock { $0.steps }, totalSteps: 1_000_000, epoch: 0)
        }
    }
}

@Suite("Running jobs through the API")
struct RunningJobTests {
    @Test("POST cancel stops a running job within one second; pause and resume a running job")
    func cancelRunningJob() throws {
        let trainer = EndlessTrainer()
        var trainers = TrainerRegistry()
        trainers.register("bert", trainer)
        let api = try APIHarness(trainers: trainers)
        let file = try api.upload()
        let id = try api.createJob(file: file).json["id"]?.string ?? ""
        trainer.state.withLock(when: { $0.steps >= 3 }, timeout: 10) { _, _ in }
        let running = try api.call("GET", "/v1/fine_tuning/jobs/\(id)").json
        #expect(running["status"] == "running" && running["progress"]?["step"]?.int ?? 0 >= 1)
        #expect(running["estimated_finish"]?.int != nil)

        let paused = try api.call("POST", "/v1/fine_tuning/jobs/\(id)/pause")
        #expect(paused.json["status"] == "paused")
        let stop = trainer.state.withLock(when: { $0.reason != nil }, timeout: 2) { state, _ in state }
        #expect(stop.reason == .statusChanged(.paused))
        trainer.state.withLock { $0.reason = nil; $0.steps = 0 }
        #expect(try api.call("POST", "/v1/fine_tuning/jobs/\(id)/resume").json["status"] == "queued")
        trainer.state.withLock(when: { $0.steps >= 2 }, timeout: 10) { _, _ in }
        #expect(try api.call("GET", "/v1/fine_tuning/jobs/\(id)").json["attempt"] == 1, "a pause does not use up an attempt")

        let cancelledAt = MonotonicClock.now
        #expect(try api.call("POST", "/v1/fine_tuning/jobs/\(id)/cancel").json["status"] == "cancelled")
        let stopped = trainer.state.withLock(when: { $0.reason != nil }, timeout: 2) { state, _ in state }
        #expect(stopped.reason == .statusChanged(.cancelled))
        #expect(stopped.stoppedAt - cancelledAt < 1.0, "stopped after \(stopped.stoppedAt - cancelledAt) s")
        let events = try api.call("GET", "/v1/fine_tuning/jobs/\(id)/events?limit=100").json["data"]?.array ?? []
        #expect(events.contains { $0["message"] == "Job paused by the user" })
        #expect(events.contains { $0["message"] == "Job cancelled by the user" })
    }
}
