import JSON
import Platform
import Store

/// Writes the deliveries an event owes, inside the caller's transaction: they exist exactly
/// when the change that caused them commits (the transactional outbox). Deliverers find them
/// within a second by polling (`WebhookDeliverer`).
public enum WebhookOutbox {
    /// One delivery per webhook of the job's tenant subscribed to `event`. The payload is the
    /// OpenAI webhook event shape: `{id, object: "event", created_at, type, data}`.
    public static func add(_ connection: Connection, job: String, event: WebhookEvent, data: JSONObject) throws {
        var body = data
        body["id"] = .string(job)
        let payload: JSONValue = ["id": .string(Crypto.randomID(prefix: "evt_")), "object": "event",
                                  "created_at": .int(Int64(WallClock.unixSeconds)), "type": .string(event.rawValue),
                                  "data": .object(body)]
        try connection.execute("""
            INSERT INTO webhook_delivery (id, webhook_id, event_type, job_id, payload)
            SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), w.id, \(event.rawValue), \(job), \(payload.encoded())
            FROM webhook w JOIN fine_tuning_job j ON j.tenant_id = w.tenant_id
            WHERE j.id = \(job) AND \(event.rawValue) = ANY (w.events)
            """)
    }
}
