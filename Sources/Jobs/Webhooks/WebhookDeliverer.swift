import HTTPClient
import Platform
import Store

/// Sends due deliveries: each of `settings.senders` threads claims one row at a time with
/// `FOR UPDATE SKIP LOCKED`, so any number of processes share the work, and a row claimed by a
/// process that dies is due again once its claim runs out (at least once). Threads look for
/// due rows every second; a 2xx answer delivers, anything else is retried with backoff until
/// `maxAttempts`, and every attempt is recorded.
public final class WebhookDeliverer: Sendable {
    let pool: ConnectionPool
    let settings: WebhookSettings
    let client: HTTPClient
    private let control = ConditionLock<(stopping: Bool, running: Int)>((false, 0))

    public init(pool: ConnectionPool, settings: WebhookSettings) {
        self.pool = pool
        self.settings = settings
        let allowPrivate = settings.allowPrivate
        // Checked again at delivery, on the addresses actually dialled: a host that resolved
        // to a public address when the webhook was created may point inward later.
        client = HTTPClient(timeout: settings.timeout, totalTimeout: settings.timeout, maxBodyBytes: 4096, allows: { allowPrivate || $0.isPublic })
    }

    /// Seconds a claim lasts: longer than one attempt can take (`timeout` in all, resolving aside).
    var claimSeconds: Double { settings.timeout * 3 + 10 }

    public func start() {
        for index in 0..<settings.senders {
            control.withLock { $0.running += 1 }
            Thread.spawn(name: "webhook-\(index)") { [self] in
                while !control.withLock({ $0.stopping }) {
                    var sent = false
                    do { sent = try deliverOne() } catch {
                        Log.warn("webhook delivery round failed", [("error", .string("\(error)"))])
                    }
                    if !sent { control.withLock(when: { $0.stopping }, timeout: 1) { _, _ in } }
                }
                control.withLock { $0.running -= 1 }
                control.broadcast()
            }
        }
    }

    /// Stops claiming and waits up to `timeout` seconds for deliveries in flight.
    public func stop(timeout: Double) {
        control.withLock { $0.stopping = true }
        control.broadcast()
        control.withLock(when: { $0.running == 0 }, timeout: timeout) { _, _ in }
    }

    /// Claims one due delivery and attempts it; false when none was due.
    @discardableResult
    public func deliverOne() throws -> Bool {
        let claimed = try pool.withConnection { connection in
            try connection.query("""
                UPDATE webhook_delivery d SET attempts = d.attempts + 1,
                    next_attempt_at = now() + make_interval(secs => \(claimSeconds))
                FROM webhook w
                WHERE w.id = d.webhook_id AND d.id = (
                    SELECT id FROM webhook_delivery WHERE status = 'pending' AND next_attempt_at <= now()
                    ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING d.id, d.payload, d.attempts, w.url, w.secret
                """).first
        }
        guard let claimed else { return false }
        let id = try claimed.decode(String.self, "id"), attempt = try claimed.decode(Int.self, "attempts")
        let body = Array(try claimed.decode(String.self, "payload").utf8)
        let secret = try claimed.decode(String.self, "secret"), url = try claimed.decode(String.self, "url")
        let started = WallClock.unixSecondsPrecise, clock = MonotonicClock.now
        var status: Int?, failure: String?
        do {
            let headers = [("Content-Type", "application/json"), ("User-Agent", "anneal/\(Build.version)")]
                + WebhookSignature.headers(secret: secret, id: id, timestamp: Int(started), body: body)
            // The status decides; the body is read (up to 4 KiB) only so the connection ends cleanly.
            status = try client.send("POST", try ClientURL(url), headers: headers, body: body).status
            if !(200...299).contains(status!) { failure = "the receiver answered \(status!)" }
        } catch {
            failure = "\(error)"
        }
        let milliseconds = Int((MonotonicClock.now - clock) * 1000)
        let delivered = failure == nil, givenUp = !delivered && attempt >= settings.maxAttempts
        let delay = settings.delay(afterAttempt: attempt, random: Double(Crypto.randomBytes(2).withUnsafeBytes { $0.load(as: UInt16.self) }) / 65536)
        try pool.transaction { connection in
            try connection.execute("""
                INSERT INTO webhook_attempt (delivery_id, attempt, started_at, duration_ms, response_status, error)
                VALUES (\(id), \(attempt), to_timestamp(\(started)), \(milliseconds), \(status), \(failure))
                ON CONFLICT DO NOTHING
                """)
            try connection.execute("""
                UPDATE webhook_delivery SET last_status = \(status), last_error = \(failure),
                    status = \(delivered ? "delivered" : givenUp ? "failed" : "pending"),
                    finished_at = CASE WHEN \(delivered || givenUp) THEN now() END,
                    next_attempt_at = now() + make_interval(secs => \(delay))
                WHERE id = \(id) AND status = 'pending' AND (\(delivered) OR attempts = \(attempt))
                """)
        }
        if !delivered {
            Log.warn("webhook delivery failed", [("delivery", .string(id)), ("attempt", .int(attempt)),
                                                  ("error", .string(failure ?? "")), ("gave_up", .bool(givenUp))])
        }
        return true
    }
}
