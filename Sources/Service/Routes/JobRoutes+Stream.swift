import HTTP
import Jobs
import JSON
import Platform
import Store

extension JobRoutes {
    /// `GET /v1/fine_tuning/jobs/{id}/events?stream=true` (or `Accept: text/event-stream`):
    /// server-sent events, oldest first, as they happen. Each job event is sent as it was stored,
    /// with its id as the SSE `id`, so a client that reconnects with `Last-Event-ID` gets every
    /// later event exactly once, from whichever API process it reaches. Between them come
    /// `progress` events (step, percent, estimated finish, status; no id: they are not stored)
    /// and a comment every 15 s to keep proxies from closing an idle stream. The stream ends
    /// with a `done` event once the job has finished and its last event is sent.
    func streamEvents(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let id = context.parameter("id"), tenant = context.tenant
        let resumeFrom = request.head.headers["Last-Event-ID"]?.trimmingSpaces()
        let start = try pool.withConnection { connection -> Int64 in
            try requireJob(id, context, connection)
            guard let resumeFrom, !resumeFrom.isEmpty else { return 0 }
            guard let seq = try connection.query("SELECT seq FROM fine_tuning_job_event WHERE id = \(resumeFrom) AND job_id = \(id)")
                .first?.decode(Int64.self, "seq") else {
                throw HTTPError.badRequest("Last-Event-ID \(resumeFrom) is not an event of \(id)", param: "Last-Event-ID", code: "invalid_last_event_id")
            }
            return seq
        }
        guard hub.enter() else {
            throw HTTPError(.serviceUnavailable, "This server already serves \(EventHub.maxStreams) event streams; try again later",
                            code: "too_many_streams")
        }
        var headers = HTTPHeaders()
        headers.set("Content-Type", "text/event-stream")
        headers.set("Cache-Control", "no-cache")
        headers.set("X-Accel-Buffering", "no")
        let (pool, hub, clientGone) = (self.pool, self.hub, context.clientUnreachable)
        return HTTPResponse(headers: headers, stream: HTTPBodyStream(longLived: true) { write in
            defer { hub.leave() }
            var last = start, lastProgress = JSONValue.null, lastWrite = MonotonicClock.now
            while !hub.isStopped && !clientGone() {
                let mark = hub.mark(id)
                // The status first: a job that was finished by then has all its events committed, so
                // `done` never comes before the events of the transaction that finished the job.
                let (events, state) = try pool.withConnection { connection in
                    let state = try connection.query("""
                        SELECT status, progress::text, extract(epoch FROM estimated_finish)::bigint AS estimated_finish
                        FROM fine_tuning_job WHERE id = \(id) AND tenant_id = \(tenant)
                        """).first
                    let finished = try state.map { try $0.decode(JobStatus.self, "status").isFinished } ?? true
                    // `seq` is taken at insert, not at commit: an event committed out of order would be
                    // passed over for good, so events are sent once a second old (a transaction that
                    // writes events lasts less), or all of them once the job has finished.
                    let events = try connection.query("""
                        SELECT seq, id, extract(epoch FROM created_at)::bigint AS created_at, level, message, type, data::text
                        FROM fine_tuning_job_event
                        WHERE job_id = \(id) AND seq > \(last) AND (\(finished) OR created_at < now() - interval '1 second')
                        ORDER BY seq LIMIT 500
                        """)
                    return (events, state)
                }
                for row in events {
                    let event = try JobObject.event(row)
                    try write(Self.sse(event: "fine_tuning.job.event", id: try row.decode(String.self, "id"), data: event))
                    last = try row.decode(Int64.self, "seq")
                }
                guard let state else { return }  // the job was deleted
                let status = try state.decode(JobStatus.self, "status")
                let progress: JSONValue = [
                    "status": .string(status.rawValue),
                    "progress": try state.decode(String?.self, "progress").map { try JSONValue(parsing: $0) } ?? .null,
                    "estimated_finish": .optional(try state.decode(Int?.self, "estimated_finish")),
                ]
                if progress != lastProgress {
                    try write(Self.sse(event: "progress", id: nil, data: progress))
                    lastProgress = progress
                    lastWrite = MonotonicClock.now
                }
                if !events.isEmpty { lastWrite = MonotonicClock.now }
                if events.count == 500 { continue }  // more are waiting
                if status.isFinished {
                    try write(Self.sse(event: "done", id: nil, data: ["status": .string(status.rawValue)]))
                    return
                }
                if MonotonicClock.now - lastWrite >= 15 {
                    try write(Array(": keep-alive\n\n".utf8))
                    lastWrite = MonotonicClock.now
                }
                hub.wait(id, since: mark, timeout: 1)
            }
        })
    }

    /// One server-sent event: `event`, `id` when given, and `data` as one line of JSON.
    static func sse(event: String, id: String?, data: JSONValue) -> [UInt8] {
        var text = "event: \(event)\n"
        if let id { text += "id: \(id)\n" }
        return Array(text.utf8) + Array("data: ".utf8) + data.encodedBytes() + Array("\n\n".utf8)
    }
}
