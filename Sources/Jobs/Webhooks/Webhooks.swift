import HTTPClient
import JSON
import Platform
import Store

/// A tenant's webhook endpoints (`/v1/webhooks`) and the deliveries owed to them.
public struct Webhooks: Sendable {
    public let pool: ConnectionPool
    public let settings: WebhookSettings

    public init(pool: ConnectionPool, settings: WebhookSettings) {
        self.pool = pool
        self.settings = settings
    }

    /// Webhooks one tenant may have.
    public static let maxPerTenant = 20

    /// Why a webhook cannot be created as asked; `param` names the request field.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public let param: String
        public let description: String
    }

    /// Checks `url` and `events` and stores the webhook; returns its row's JSON with the
    /// secret, which is never shown again.
    public func create(tenant: String, url: String, events: [String]?) throws -> JSONValue {
        let parsed: ClientURL
        do { parsed = try ClientURL(url) } catch { throw Refusal(param: "url", description: error.description) }
        if !settings.allowPrivate {
            let addresses: [NetworkAddress]
            do { addresses = try NetworkAddress.resolve(host: parsed.host, port: parsed.port) } catch {
                throw Refusal(param: "url", description: "\(error); webhook hosts must resolve when they are created")
            }
            if let refused = addresses.first(where: { !$0.isPublic }) {
                throw Refusal(param: "url", description: "\(parsed.host) resolves to \(refused.ip), a private, loopback or reserved address; the operator can allow these with ANNEAL_WEBHOOK_ALLOW_PRIVATE=1")
            }
        }
        let names = events ?? WebhookEvent.defaults.map(\.rawValue)
        guard !names.isEmpty else { throw Refusal(param: "events", description: "events must name at least one event") }
        for name in names where WebhookEvent(rawValue: name) == nil {
            throw Refusal(param: "events", description: "Unknown event \(name); known: \(WebhookEvent.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var unique: [String] = []
        for name in names where !unique.contains(name) { unique.append(name) }
        let id = Crypto.randomID(prefix: "wh_"), secret = WebhookSignature.newSecret()
        return try pool.transaction { connection in
            // One tenant's many endpoints would hold the shared senders; a lock keeps the count exact.
            _ = try connection.query("SELECT pg_advisory_xact_lock(hashtext('webhook:' || \(tenant))) IS NULL AS locked")
            let count = try connection.query("SELECT count(*)::int AS n FROM webhook WHERE tenant_id = \(tenant)")[0].decode(Int.self, "n")
            guard count < Self.maxPerTenant else {
                throw Refusal(param: "url", description: "A tenant may have at most \(Self.maxPerTenant) webhooks; delete one first")
            }
            let row = try connection.query("""
                INSERT INTO webhook (id, tenant_id, url, events, secret) VALUES (\(id), \(tenant), \(parsed.description), \(unique), \(secret))
                RETURNING \(Self.columns)
                """)[0]
            guard case .object(var object) = try Self.webhook(row) else { return .null }
            object["secret"] = .string(secret)
            return .object(object)
        }
    }

    public func list(tenant: String) throws -> [JSONValue] {
        try pool.withConnection { connection in
            try connection.query("SELECT \(Self.columns) FROM webhook WHERE tenant_id = \(tenant) ORDER BY created_at, id").map(Self.webhook)
        }
    }

    public func find(_ id: String, tenant: String) throws -> JSONValue? {
        try pool.withConnection { connection in
            try connection.query("SELECT \(Self.columns) FROM webhook WHERE id = \(id) AND tenant_id = \(tenant)").first.map(Self.webhook)
        }
    }

    /// Deletes the webhook and its pending deliveries; false when the tenant has no such one.
    public func delete(_ id: String, tenant: String) throws -> Bool {
        try pool.withConnection { connection in
            try connection.execute("DELETE FROM webhook WHERE id = \(id) AND tenant_id = \(tenant)") == 1
        }
    }

    /// The webhook's deliveries, newest first, each with its attempts; nil when the tenant has
    /// no such webhook.
    public func deliveries(of webhook: String, tenant: String, limit: Int) throws -> [JSONValue]? {
        try pool.withConnection { connection in
            guard try !connection.query("SELECT 1 AS one FROM webhook WHERE id = \(webhook) AND tenant_id = \(tenant)").isEmpty else { return nil }
            return try connection.query("""
                SELECT d.id, d.event_type, d.job_id, d.status, d.attempts, d.last_status, d.last_error,
                    d.payload, extract(epoch FROM d.created_at)::bigint AS created_at,
                    CASE WHEN d.status = 'pending' THEN extract(epoch FROM d.next_attempt_at)::bigint END AS next_attempt_at,
                    extract(epoch FROM d.finished_at)::bigint AS finished_at,
                    coalesce((SELECT jsonb_agg(jsonb_build_object('attempt', a.attempt, 'started_at', extract(epoch FROM a.started_at)::bigint,
                        'duration_ms', a.duration_ms, 'response_status', a.response_status, 'error', a.error) ORDER BY a.attempt)
                        FROM webhook_attempt a WHERE a.delivery_id = d.id), '[]')::text AS attempt_list
                FROM webhook_delivery d WHERE d.webhook_id = \(webhook)
                ORDER BY d.created_at DESC, d.id LIMIT \(limit)
                """).map(delivery)
        }
    }

    private func delivery(_ row: Row) throws -> JSONValue {
        var object: JSONObject = ["object": "webhook.delivery"]
        object["id"] = .string(try row.decode(String.self, "id"))
        object["event_type"] = .string(try row.decode(String.self, "event_type"))
        object["job_id"] = JSONValue.optional(try row.decode(String?.self, "job_id"))
        object["status"] = .string(try row.decode(String.self, "status"))
        object["attempts"] = .int(Int64(try row.decode(Int.self, "attempts")))
        object["max_attempts"] = .int(Int64(settings.maxAttempts))
        object["last_response_status"] = JSONValue.optional(try row.decode(Int?.self, "last_status"))
        object["last_error"] = JSONValue.optional(try row.decode(String?.self, "last_error"))
        object["created_at"] = .int(try row.decode(Int64.self, "created_at"))
        object["next_attempt_at"] = JSONValue.optional(try row.decode(Int?.self, "next_attempt_at"))
        object["finished_at"] = JSONValue.optional(try row.decode(Int?.self, "finished_at"))
        object["payload"] = try JSONValue(parsing: row.decode(String.self, "payload"))
        object["attempt_list"] = try JSONValue(parsing: row.decode(String.self, "attempt_list"))
        return .object(object)
    }

    static let columns: Query = "id, url, events, extract(epoch FROM created_at)::bigint AS created_at"

    static func webhook(_ row: Row) throws -> JSONValue {
        ["id": .string(try row.decode(String.self, "id")), "object": "webhook", "url": .string(try row.decode(String.self, "url")),
         "events": .array(try row.decode([String].self, "events").map(JSONValue.string)),
         "created_at": .int(try row.decode(Int64.self, "created_at"))]
    }
}
