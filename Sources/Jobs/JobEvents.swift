import JSON
import Platform
import Store

/// The job's event log (`GET /v1/fine_tuning/jobs/{id}/events`): every state change writes one.
public enum JobEvents {
    @discardableResult
    public static func add(_ connection: Connection, job: String, level: String = "info", message: String,
                           type: String = "message", data: JSONValue? = nil) throws -> String {
        let id = Crypto.randomID(prefix: "ftevent-")
        let json = data.map { $0.encoded() }
        try connection.execute("""
            INSERT INTO fine_tuning_job_event (id, job_id, level, type, message, data)
            VALUES (\(id), \(job), \(level), \(type), \(message), \(json)::jsonb)
            """)
        return id
    }
}
