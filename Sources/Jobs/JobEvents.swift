import JSON
import Platform
import Store

/// The job's event log (`GET /v1/fine_tuning/jobs/{id}/events`): every state change writes one.
/// Each is a durable row first, then a NOTIFY on `channel` (delivered when its transaction
/// commits) that wakes the event streams of every API process.
public enum JobEvents {
    /// Carries the job's id whenever it has a new event.
    public static let channel = "anneal_job_event"

    @discardableResult
    public static func add(_ connection: Connection, job: String, level: String = "info", message: String,
                           type: String = "message", data: JSONValue? = nil) throws -> String {
        let id = Crypto.randomID(prefix: "ftevent-")
        let json = data.map { $0.encoded() }
        try connection.execute("""
            INSERT INTO fine_tuning_job_event (id, job_id, level, type, message, data)
            VALUES (\(id), \(job), \(level), \(type), \(message), \(json)::jsonb)
            """)
        try connection.notify(channel: channel, payload: job)
        return id
    }
}
