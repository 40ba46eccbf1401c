import HTTP
import JSON
import Jobs
import Models
import Platform
import Store

/// `/v1/fine_tuning/jobs`: create, list, retrieve, cancel, pause, resume, events, checkpoints.
struct JobRoutes {
    let pool: ConnectionPool
    let catalog: ModelCatalog

    func add(to routes: inout RouteTable) {
        routes.add("POST", "/v1/fine_tuning/jobs") { request, context in try create(request, context) }
        routes.add("GET", "/v1/fine_tuning/jobs") { request, context in try list(request, context) }
        routes.add("GET", "/v1/fine_tuning/jobs/{id}") { _, context in .json(try find(context.parameter("id"), context)) }
        routes.add("POST", "/v1/fine_tuning/jobs/{id}/cancel") { _, context in
            try transition(context, "cancel", to: "cancelled", from: ["validating_files", "queued", "running", "paused"],
                           message: "Job cancelled by the user")
        }
        routes.add("POST", "/v1/fine_tuning/jobs/{id}/pause") { _, context in
            try transition(context, "pause", to: "paused", from: ["validating_files", "queued", "running"], message: "Job paused by the user")
        }
        routes.add("POST", "/v1/fine_tuning/jobs/{id}/resume") { _, context in
            try transition(context, "resume", to: "resumed", from: ["paused"], message: "Job resumed by the user")
        }
        routes.add("GET", "/v1/fine_tuning/jobs/{id}/events") { request, context in try events(request, context) }
        routes.add("GET", "/v1/fine_tuning/jobs/{id}/checkpoints") { request, context in try checkpoints(request, context) }
        routes.add("GET", "/v1/fine_tuning/jobs/{id}/metrics") { request, context in try metrics(request, context) }
    }

    func create(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let spec = try JobSpec(try request.jsonObject(), catalog: catalog)
        let id = Crypto.randomID(prefix: "ftjob-")
        let row = try pool.transaction { connection in
            for (param, file) in [("training_file", spec.trainingFile), ("validation_file", spec.validationFile)] {
                guard let file else { continue }
                let purpose = try connection.query("SELECT purpose FROM file WHERE id = \(file) AND tenant_id = \(context.tenant)")
                    .first?.decode(String.self, "purpose")
                guard let purpose else {
                    throw HTTPError.badRequest("File \(file) does not exist", param: param, code: "invalid_file")
                }
                guard purpose == "fine-tune" else {
                    throw HTTPError.badRequest("File \(file) has purpose \(purpose); upload it with purpose fine-tune",
                                               param: param, code: "invalid_file_purpose")
                }
            }
            try connection.execute("""
                INSERT INTO fine_tuning_job (id, tenant_id, model, architecture, training_file, validation_file, suffix,
                    seed, metadata, method, hyperparameters)
                VALUES (\(id), \(context.tenant), \(spec.model.name), \(spec.model.architecture), \(spec.trainingFile),
                    \(spec.validationFile), \(spec.suffix), \(spec.seed), \(spec.metadata?.encoded())::jsonb,
                    \(spec.method.encoded())::jsonb, \(JSONValue.object(spec.hyperparameters).encoded())::jsonb)
                """)
            try JobEvents.add(connection, job: id, message: "Created fine-tuning job: \(id)")
            try JobEvents.add(connection, job: id, message: "Validating training file: \(spec.trainingFile)")
            try connection.notify(channel: JobQueue.channel, payload: id)
            return try connection.query("SELECT \(JobObject.columns) FROM fine_tuning_job j WHERE j.id = \(id)")[0]
        }
        return .json(try JobObject.json(row))
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

    /// Cancel, pause or resume. A running job's worker sees the new status at its next heartbeat
    /// and stops within a step; resume puts the job back in the queue.
    func transition(_ context: RequestContext, _ verb: String, to target: String, from allowed: [String], message: String) throws -> HTTPResponse {
        let id = context.parameter("id")
        let job = try pool.transaction { connection -> JSONValue in
            let current = try connection.query("""
                SELECT status FROM fine_tuning_job WHERE id = \(id) AND tenant_id = \(context.tenant) FOR UPDATE
                """).first?.decode(String.self, "status")
            guard let current else { throw HTTPError.notFound("No such fine-tuning job: \(id)", param: "fine_tuning_job_id") }
            guard allowed.contains(current) else {
                throw HTTPError(.conflict, "Cannot \(verb) a job that is \(current)", param: "fine_tuning_job_id",
                                code: "invalid_job_state")
            }
            if target == "resumed" {
                try connection.execute("""
                    UPDATE fine_tuning_job SET scheduled_at = now(),
                        status = CASE WHEN validated_at IS NULL THEN 'validating_files' ELSE 'queued' END
                    WHERE id = \(id)
                    """)
                try connection.notify(channel: JobQueue.channel, payload: id)
            } else {
                let terminal = target == "cancelled"
                try connection.execute("""
                    UPDATE fine_tuning_job SET status = \(target), estimated_finish = NULL,
                        finished_at = CASE WHEN \(terminal) THEN now() ELSE NULL END
                    WHERE id = \(id)
                    """)
            }
            try JobEvents.add(connection, job: id, message: message)
            return try find(id, context, connection: connection)
        }
        return .json(job)
    }

    func events(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
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
