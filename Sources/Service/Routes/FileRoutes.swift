import HTTP
import Jobs
import JSON
import Platform
import Store

/// `/v1/files`: uploads (multipart or raw JSONL), listing, retrieval, content and deletion.
/// Files live in PostgreSQL in chunks; uploads stream (`FileRoutes+Upload.swift`) and a
/// `fine-tune` file is validated line by line on the way.
struct FileRoutes {
    let pool: ConnectionPool
    static let purposes = ["fine-tune", "fine-tune-results", "batch", "assistants", "user_data", "evals"]
    static let columns: Query = "id, filename, purpose, bytes, extract(epoch FROM created_at)::bigint AS created_at, shape, example_count, labels::text"

    func add(to routes: inout RouteTable, uploadLimit: Int) {
        routes.add("POST", "/v1/files", RouteOptions(bodyLimit: uploadLimit, streamsBody: true)) { request, context in try upload(request, context) }
        routes.add("GET", "/v1/files") { request, context in try list(request, context) }
        routes.add("GET", "/v1/files/{id}") { _, context in .json(try find(context.parameter("id"), context)) }
        routes.add("GET", "/v1/files/{id}/content") { _, context in try content(context) }
        routes.add("DELETE", "/v1/files/{id}") { _, context in try delete(context) }
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
            defer { Memory.releaseFreePages() }
            try FileRoutes.send(first, write)
            for seq in 1..<FileContent.chunkCount(size) {
                try FileRoutes.send(try pool.withConnection { try FileContent.chunk($0, file: id, seq: seq) }, write)
            }
        })
    }

    /// A chunk in 1 MiB pieces: the stream waits for the client between pieces, so one chunk and
    /// about a piece are in memory, not whole chunks in the connection's output queue.
    static func send(_ chunk: [UInt8], _ write: ([UInt8]) throws -> Void) throws {
        for start in stride(from: 0, to: chunk.count, by: 1 << 20) {
            try write(Array(chunk[start..<min(chunk.count, start + (1 << 20))]))
        }
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
