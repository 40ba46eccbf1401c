import HTTP
import Jobs
import JSON
import Platform
import Store

/// `/v1/files`: uploads (multipart or raw JSONL), listing, retrieval, content and deletion.
/// Files live in PostgreSQL; a `fine-tune` file is validated line by line on upload.
struct FileRoutes {
    let pool: ConnectionPool
    static let purposes = ["fine-tune", "fine-tune-results", "batch", "assistants", "user_data", "evals"]
    static let columns: Query = "id, filename, purpose, bytes, extract(epoch FROM created_at)::bigint AS created_at, shape, example_count, labels::text"

    func add(to routes: inout RouteTable, uploadLimit: Int) {
        routes.add("POST", "/v1/files", RouteOptions(bodyLimit: uploadLimit)) { request, context in try upload(request, context) }
        routes.add("GET", "/v1/files") { request, context in try list(request, context) }
        routes.add("GET", "/v1/files/{id}") { _, context in .json(try find(context.parameter("id"), context)) }
        routes.add("GET", "/v1/files/{id}/content") { _, context in try content(context) }
        routes.add("DELETE", "/v1/files/{id}") { _, context in try delete(context) }
    }

    func upload(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let (name, purpose, bytes) = try FileRoutes.parts(of: request)
        let filename = name.isEmpty ? "upload.jsonl" : name
        guard FileRoutes.purposes.contains(purpose) else {
            throw HTTPError.badRequest("purpose must be one of \(FileRoutes.purposes.joined(separator: ", ")); got \"\(purpose)\"",
                                       param: "purpose", code: "invalid_purpose")
        }
        guard !bytes.isEmpty else { throw HTTPError.badRequest("The file is empty", param: "file", code: "empty_file") }
        var shape: String?, examples: Int?, labels: String?, summary: String?
        if purpose == "fine-tune" {
            let checked = FileValidation.check(upload: bytes)
            if let problems = checked.problems {
                throw HTTPError.badRequest("Invalid fine-tune file \(filename): \(problems)", param: "file", code: "invalid_file_format")
            }
            shape = checked.shape
            examples = checked.examples
            labels = checked.labels.map { JSONValue.array($0.map(JSONValue.string)).encoded() }
            summary = checked.report.encoded()
        }
        let id = Crypto.randomID(prefix: "file-")
        let sha = Crypto.hex(Crypto.sha256(bytes))
        // The row and its chunks commit together: a file is listed whole or not at all.
        let row = try pool.transaction { connection in
            let row = try connection.query("""
                INSERT INTO file (id, tenant_id, filename, purpose, bytes, sha256, shape, example_count, labels, report)
                VALUES (\(id), \(context.tenant), \(filename), \(purpose), \(bytes.count), \(sha), \(shape),
                        \(examples), \(labels)::jsonb, \(summary)::jsonb)
                RETURNING \(FileRoutes.columns)
                """)[0]
            try FileContent.write(connection, file: id, bytes: bytes)
            return row
        }
        return .json(try FileRoutes.object(row))
    }

    /// (filename, purpose, content) from `multipart/form-data`, or from a raw body with
    /// `?purpose=&filename=`.
    static func parts(of request: HTTPRequest) throws -> (String, String, [UInt8]) {
        let contentType = request.head.headers["Content-Type"] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data") else {
            guard let purpose = request.queryValue("purpose") else {
                throw HTTPError.badRequest("Send multipart/form-data with fields \"file\" and \"purpose\", or a raw body with ?purpose=fine-tune&filename=NAME",
                                           param: "purpose", code: "missing_purpose")
            }
            return (request.queryValue("filename") ?? "upload.jsonl", purpose, request.body)
        }
        guard let boundary = Multipart.boundary(contentType: contentType) else {
            throw HTTPError.badRequest("multipart/form-data without a boundary", code: "invalid_multipart")
        }
        let parts = try Multipart.parse(request.body, boundary: boundary)
        guard let file = parts.first(where: { $0.name == "file" }) else {
            throw HTTPError.badRequest("Missing multipart field \"file\"", param: "file", code: "missing_file")
        }
        guard let purposePart = parts.first(where: { $0.name == "purpose" }) else {
            throw HTTPError.badRequest("Missing multipart field \"purpose\"", param: "purpose", code: "missing_purpose")
        }
        return (file.filename ?? "upload.jsonl", String(decoding: purposePart.body, as: UTF8.self), file.body)
    }

    func list(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let page = try Page(request, defaultLimit: 10_000, maxLimit: 10_000)
        let ascending = request.queryValue("order") == "asc"
        if let order = request.queryValue("order"), order != "asc" && order != "desc" {
            throw HTTPError.badRequest("order must be asc or desc", param: "order", code: "invalid_order")
        }
        let purpose = request.queryValue("purpose")
        let direction: StaticString = ascending ? "ASC" : "DESC"
        let comparison: StaticString = ascending ? ">" : "<"
        let rows = try pool.withConnection { connection in
            try connection.query("""
                SELECT \(FileRoutes.columns) FROM file f
                WHERE tenant_id = \(context.tenant) AND (\(purpose)::text IS NULL OR purpose = \(purpose))
                  AND (\(page.after)::text IS NULL OR (f.created_at, f.id) \(literal: comparison)
                       (SELECT created_at, id FROM file WHERE id = \(page.after) AND tenant_id = \(context.tenant)))
                ORDER BY f.created_at \(literal: direction), f.id \(literal: direction)
                LIMIT \(page.limit + 1)
                """)
        }
        return page.list(try rows.map(FileRoutes.object))
    }

    func find(_ id: String, _ context: RequestContext) throws -> JSONValue {
        let row = try pool.withConnection { connection in
            try connection.query("SELECT \(FileRoutes.columns) FROM file WHERE id = \(id) AND tenant_id = \(context.tenant)").first
        }
        guard let row else { throw HTTPError.notFound("No such file: \(id)", param: "file_id") }
        return try FileRoutes.object(row)
    }

    /// The file's bytes, streamed a chunk at a time (one chunk in memory, whatever the file's size).
    func content(_ context: RequestContext) throws -> HTTPResponse {
        let id = context.parameter("id")
        let row = try pool.withConnection { connection in
            try connection.query("SELECT filename, bytes FROM file WHERE id = \(id) AND tenant_id = \(context.tenant)").first
        }
        guard let row else { throw HTTPError.notFound("No such file: \(id)", param: "file_id") }
        var headers = HTTPHeaders()
        headers.set("Content-Type", "application/octet-stream")
        let filename = try row.decode(String.self, "filename").filter { $0 != "\"" && $0 != "\\" && $0 != "\r" && $0 != "\n" }
        headers.set("Content-Disposition", "attachment; filename=\"\(filename)\"")
        let size = try row.decode(Int.self, "bytes"), pool = self.pool
        // The first chunk is read here, so a file whose chunks are gone is an error, not a cut stream.
        let first = try pool.withConnection { try FileContent.chunk($0, file: id, seq: 0) }
        guard FileContent.chunkCount(size) > 1 else { return HTTPResponse(status: .ok, headers: headers, body: first) }
        return HTTPResponse(headers: headers, stream: HTTPBodyStream { write in
            try write(first)
            for seq in 1..<FileContent.chunkCount(size) {
                try write(try pool.withConnection { try FileContent.chunk($0, file: id, seq: seq) })
            }
        })
    }

    func delete(_ context: RequestContext) throws -> HTTPResponse {
        let id = context.parameter("id")
        let deleted = try pool.withConnection { connection in
            try connection.execute("DELETE FROM file WHERE id = \(id) AND tenant_id = \(context.tenant)")
        }
        guard deleted == 1 else { throw HTTPError.notFound("No such file: \(id)", param: "file_id") }
        return .json(["id": .string(id), "object": "file", "deleted": true])
    }

    static func object(_ row: Row) throws -> JSONValue {
        var object: JSONObject = [
            "object": "file",
            "id": .string(try row.decode(String.self, "id")),
            "bytes": .int(try row.decode(Int64.self, "bytes")),
            "created_at": .int(try row.decode(Int64.self, "created_at")),
            "filename": .string(try row.decode(String.self, "filename")),
            "purpose": .string(try row.decode(String.self, "purpose")),
            "status": "processed",
            "status_details": nil,
        ]
        if let shape = try row.decode(String?.self, "shape") { object["format"] = .string(shape) }
        if let examples = try row.decode(Int?.self, "example_count") { object["example_count"] = .int(Int64(examples)) }
        if let labels = try row.decode(String?.self, "labels") { object["labels"] = try JSONValue(parsing: labels) }
        return .object(object)
    }
}
