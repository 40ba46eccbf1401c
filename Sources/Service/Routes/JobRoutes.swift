import HTTP
import JSON
import Jobs
import Models
import Platform
import Store

/// `/v1/fine_tuning/jobs`: create, list, retrieve, cancel, pause, resume, events (a page, or a
/// live stream: `JobRoutes+Stream`), checkpoints, metrics, the reproducibility manifest, rerun.
struct JobRoutes {
    let pool: ConnectionPool
    let catalog: ModelCatalog
    /// Wakes the event streams.
    let hub: EventHub

    func add(to routes: inout RouteTable) {
        routes.add("POST", "/v1/fine_tuning/jobs") { request, context in try create(request, context) }
        routes.add("GET", "/v1/fine_tuning/jobs") { request, context in try list(request, context) }
        routes.add("GET", "/v1/fine_tuning/jobs/{id}") { _, context in .json(try find(context.parameter("id"), context)) }
        for action in JobAction.allCases {
            routes.add("POST", "/v1/fine_tuning/jobs/{id}/\(action.rawValue)") { _, context in try act(action, context) }
        }
        routes.add("GET", "/v1/fine_tuning/jobs/{id}/events") { request, context in try events(request, context) }
        routes.add("GET", "/v1/fine_tuning/jobs/{id}/checkpoints") { request, context in try checkpoints(request, context) }
        routes.add("GET", "/v1/fine_tuning/jobs/{id}/metrics") { request, context in try metrics(request, context) }
        routes.add("GET", "/v1/fine_tuning/jobs/{id}/manifest") { _, context in try manifest(context) }
        routes.add("POST", "/v1/fine_tuning/jobs/{id}/rerun") { _, context in try rerun(context) }
    }

    var store: JobStore { JobStore(pool: pool) }

    func create(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let spec: JobSpec
        do { spec = try JobSpec(try request.jsonObject(), catalog: catalog) } catch let error as JobSpecError {
            throw HTTPError.badRequest(error.message, param: error.param, code: error.code)
        }
        let job = spec.job(tenant: context.tenant)
        let idempotency = try Self.idempotency(request)
        do {
            if spec.dryRun { return .json(try DryRun(pool: pool, catalog: catalog).run(job)) }
            return try store.create(job, idempotency: idempotency) { connection, id, replayed in
                var response = HTTPResponse.json(try find(id, context, connection: connection))
                if replayed { response.headers.set("Idempotent-Replayed", "true") }
                return response
            }
        } catch let error as JobStoreError {
            throw error.http
        }
    }

    /// `Idempotency-Key` (1 to 255 printable ASCII characters) with the SHA-256 of the body.
    static func idempotency(_ request: HTTPRequest) throws(HTTPError) -> (key: String, request: String)? {
        guard let key = request.head.headers["Idempotency-Key"] else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7e }) else {
            throw HTTPError.badRequest("Idempotency-Key must be 1 to 255 printable ASCII characters without spaces",
                                       param: "Idempotency-Key", code: "invalid_idempotency_key")
        }
        return (key, Crypto.hex(Crypto.sha256(request.body)))
    }

    func list(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let page = try Page(request)
        var metadata = JSONObject()
        for (key, value) in request.head.query where key.hasPrefix("metadata[") && key.hasSuffix("]") {
            metadata[String(key.dropFirst(9).dropLast())] = .string(value)
        }
        let filter = metadata.isEmpty ? nil : JSONValue.object(metadata).encoded()
        let rows = try pool.withConnection { connection in
            try connection.query("""
                SELECT \(JobObject.columns) FROM fine_tuning_job j
                WHERE j.tenant_id = \(context.tenant)
                  AND (\(filter)::jsonb IS NULL OR j.metadata @> \(filter)::jsonb)
                  AND (\(page.after)::text IS NULL OR (j.created_at, j.id) <
                       (SELECT created_at, id FROM fine_tuning_job WHERE id = \(page.after) AND tenant_id = \(context.tenant)))
                ORDER BY j.created_at DESC, j.id DESC
                LIMIT \(page.limit + 1)
                """)
        }
        return page.list(try rows.map(JobObject.json))
    }

    func find(_ id: String, _ context: RequestContext, connection: Connection? = nil) throws -> JSONValue {
        let query: Query = "SELECT \(JobObject.columns) FROM fine_tuning_job j WHERE j.id = \(id) AND j.tenant_id = \(context.tenant)"
        let row = try connection.map { try $0.query(query).first } ?? pool.withConnection { try $0.query(query).first }
        guard let row else { throw HTTPError.notFound("No such fine-tuning job: \(id)", param: "fine_tuning_job_id") }
        return try JobObject.json(row)
    }

    /// Cancel, pause or resume (`JobStore.act`).
    func act(_ action: JobAction, _ context: RequestContext) throws -> HTTPResponse {
        let id = context.parameter("id")
        do {
            return .json(try store.act(action, job: id, tenant: context.tenant) { connection in try find(id, context, connection: connection) })
        } catch let error as JobStoreError {
            throw error.http
        }
    }

    func events(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        if request.queryValue("stream") == "true" || request.head.headers["Accept"]?.contains("text/event-stream") == true {
            return try streamEvents(request, context)
        }
        let page = try Page(request)
        let id = context.parameter("id")
        let rows = try pool.withConnection { connection in
            try requireJob(id, context, connection)
            return try connection.query("""
                SELECT id, extract(epoch FROM created_at)::bigint AS created_at, level, message, type, data::text
                FROM fine_tuning_job_event
                WHERE job_id = \(id) AND (\(page.after)::text IS NULL OR seq < (SELECT seq FROM fine_tuning_job_event WHERE id = \(page.after) AND job_id = \(id)))
                ORDER BY seq DESC
                LIMIT \(page.limit + 1)
                """)
        }
        return page.list(try rows.map(JobObject.event))
    }

    /// The job's reproducibility manifest (`Jobs/Reproducibility`): a 409 before it trains.
    func manifest(_ context: RequestContext) throws -> HTTPResponse {
        let id = context.parameter("id")
        let text = try pool.withConnection { connection in
            try requireJob(id, context, connection)
            return try connection.query("SELECT reproducibility::text AS manifest FROM fine_tuning_job WHERE id = \(id)")[0]
                .decode(String?.self, "manifest")
        }
        guard let text else {
            throw HTTPError(.conflict, "The job has not started training yet; its manifest is recorded then", param: "fine_tuning_job_id",
                            code: "manifest_not_recorded")
        }
        return .json(try JSONValue(parsing: Array(text.utf8)))
    }

    /// The same job again (`JobStore.rerun`): a new job, answered like a created one.
    func rerun(_ context: RequestContext) throws -> HTTPResponse {
        do {
            return .json(try store.rerun(job: context.parameter("id"), tenant: context.tenant) { connection, id in
                try find(id, context, connection: connection)
            })
        } catch let error as JobStoreError {
            throw error.http
        }
    }

    /// The metrics series as JSON, or as CSV with `Accept: text/csv`.
    func metrics(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let id = context.parameter("id")
        let series = try pool.withConnection { connection in
            try requireJob(id, context, connection)
            return try JobMetrics.series(connection, job: id)
        }
        if request.head.headers["Accept"]?.contains("text/csv") == true {
            return .text(JobMetrics.csv(series), contentType: "text/csv; charset=utf-8")
        }
        let data = series.map { entry -> JSONValue in
            ["kind": .string(entry.kind), "step": .int(Int64(entry.step)), "epoch": .double(entry.epoch), "metrics": .object(entry.metrics)]
        }
        return .json(["object": "list", "data": .array(data), "has_more": false])
    }

    func requireJob(_ id: String, _ context: RequestContext, _ connection: Connection) throws {
        guard try !connection.query("SELECT 1 AS found FROM fine_tuning_job WHERE id = \(id) AND tenant_id = \(context.tenant)").isEmpty else {
            throw HTTPError.notFound("No such fine-tuning job: \(id)", param: "fine_tuning_job_id")
        }
    }

    func checkpoints(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let page = try Page(request, defaultLimit: 10)
        let id = context.parameter("id")
        let rows = try pool.withConnection { connection in
            try requireJob(id, context, connection)
            return try connection.query("""
                SELECT id, job_id, step_number, metrics::text, fine_tuned_model_checkpoint,
                    extract(epoch FROM created_at)::bigint AS created_at
                FROM fine_tuning_job_checkpoint
                WHERE job_id = \(id) AND (\(page.after)::text IS NULL OR step_number <
                    (SELECT step_number FROM fine_tuning_job_checkpoint WHERE id = \(page.after) AND job_id = \(id)))
                ORDER BY step_number DESC
                LIMIT \(page.limit + 1)
                """)
        }
        return page.list(try rows.map(JobObject.checkpoint))
    }
}

extension JobStoreError {
    /// The API's answer: 400 for the request's files, 404 for an unknown job, 409 for an action
    /// the job's status does not allow.
    var http: HTTPError {
        switch self {
        case .missingFile(let param, _): HTTPError.badRequest(description, param: param, code: "invalid_file")
        case .wrongPurpose(let param, _, _): HTTPError.badRequest(description, param: param, code: "invalid_file_purpose")
        case .jobNotFound: HTTPError.notFound(description, param: "fine_tuning_job_id")
        case .invalidState: HTTPError(.conflict, description, param: "fine_tuning_job_id", code: "invalid_job_state")
        case .idempotencyKeyReused: HTTPError(.unprocessableContent, description, param: "Idempotency-Key", code: "idempotency_key_reused")
        }
    }
}
