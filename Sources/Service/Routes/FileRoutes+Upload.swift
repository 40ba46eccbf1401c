import HTTP
import Jobs
import JSON
import Platform
import Store

/// `POST /v1/files`, streamed: the body goes to PostgreSQL a chunk at a time as it arrives, hashed
/// and (for `fine-tune`) validated line by line on the way, so a file of any size within the cap
/// costs the server a few chunks of memory. The row and its chunks commit together at the end;
/// any error rolls them back, so a file is listed whole or not at all.
extension FileRoutes {
    func upload(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        defer { Memory.releaseFreePages() }
        var source = UploadSource(request, context)
        let id = Crypto.randomID(prefix: "file-")
        let row = try pool.transaction { connection in
            // A placeholder row first (the chunks reference it); the rest is known at the end.
            try connection.execute("""
                INSERT INTO file (id, tenant_id, filename, purpose, bytes, sha256)
                VALUES (\(id), \(context.tenant), 'upload.jsonl', 'user_data', 0, '')
                """)
            var writer = FileContent.Writer(connection, file: id)
            let hasher = SHA256Hasher()
            var check = FileValidation.UploadCheck()
            while let bytes = try source.nextFileBytes() {
                // A fine-tune file with as many problems as a report keeps fails now, not after the rest.
                if source.purpose == "fine-tune" && check.isFull { break }
                try writer.write(bytes)
                hasher.update(bytes)
                check.feed(bytes)
            }
            try writer.finish()
            let (filename, purpose) = try source.finish()
            guard writer.size > 0 else { throw HTTPError.badRequest("The file is empty", param: "file", code: "empty_file") }
            var shape: String?, examples: Int?, labels: String?, summary: String?
            if purpose == "fine-tune" {
                let checked = check.finish()
                if let problems = checked.problems {
                    throw HTTPError.badRequest("Invalid fine-tune file \(filename): \(problems)", param: "file", code: "invalid_file_format")
                }
                shape = checked.shape
                examples = checked.examples
                labels = checked.labels.map { JSONValue.array($0.map(JSONValue.string)).encoded() }
                summary = checked.report.encoded()
            }
            return try connection.query("""
                UPDATE file SET filename = \(filename), purpose = \(purpose), bytes = \(writer.size), sha256 = \(hasher.finishHex()),
                       shape = \(shape), example_count = \(examples), labels = \(labels)::jsonb, report = \(summary)::jsonb
                WHERE id = \(id)
                RETURNING \(FileRoutes.columns)
                """)[0]
        }
        return .json(try FileRoutes.object(row))
    }
}

/// Where an upload's file bytes come from: a `multipart/form-data` body (fields `file` and
/// `purpose`, in either order) or a raw body with `?purpose=&filename=`; streamed when the server
/// hands the body over as it arrives, else the buffered body.
struct UploadSource {
    /// Largest form field other than the file (`purpose`).
    static let maxFieldBytes = 1024

    let body: RequestBody?
    var buffered: [UInt8]?
    var multipart: MultipartReader?
    var events: [MultipartReader.Event] = []
    var eventIndex = 0
    /// The multipart part being read: "file", another field, or none.
    var current: String?
    var fields: [String: [UInt8]] = [:]
    var filename: String?
    var sawFile = false
    var purpose: String?
    var ended = false

    init(_ request: HTTPRequest, _ context: RequestContext) {
        body = context.body
        buffered = request.body
        let contentType = request.head.headers["Content-Type"] ?? ""
        if contentType.lowercased().hasPrefix("multipart/form-data") {
            multipart = Multipart.boundary(contentType: contentType).flatMap { try? MultipartReader(boundary: $0) }
            if multipart == nil { current = "invalid" }
        } else {
            purpose = request.queryValue("purpose")
            filename = request.queryValue("filename") ?? "upload.jsonl"
            sawFile = true
        }
    }

    /// The next bytes of the body as sent, or nil at its end.
    mutating func nextBodyBytes() throws -> [UInt8]? {
        if let body { return try body.next() }
        defer { buffered = nil }
        return buffered.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The next bytes of the file, or nil once there are no more.
    mutating func nextFileBytes() throws -> [UInt8]? {
        guard var reader = multipart else {
            if current == "invalid" { throw HTTPError.badRequest("multipart/form-data without a boundary", code: "invalid_multipart") }
            if purpose == nil { throw Self.missingPurpose }
            return ended ? nil : try nextBodyBytes()
        }
        defer { multipart = reader }
        while true {
            while eventIndex < events.count {
                let event = events[eventIndex]
                eventIndex += 1
                switch event {
                case .part(let part):
                    current = part.name
                    if part.name == "file" {
                        guard !sawFile else { throw HTTPError.badRequest("More than one multipart field \"file\"", param: "file", code: "invalid_multipart") }
                        sawFile = true
                        filename = part.filename ?? "upload.jsonl"
                    }
                case .data(let bytes) where current == "file":
                    return bytes
                case .data(let bytes):
                    let name = current ?? ""
                    guard fields[name, default: []].count + bytes.count <= Self.maxFieldBytes else {
                        throw HTTPError.badRequest("Multipart field \"\(name)\" is longer than \(Self.maxFieldBytes) bytes", param: name, code: "invalid_multipart")
                    }
                    fields[name, default: []] += bytes
                case .partEnd:
                    if current == "purpose" { purpose = String(decoding: fields["purpose"] ?? [], as: UTF8.self) }
                    current = nil
                }
            }
            guard !ended, let bytes = try nextBodyBytes() else {
                ended = true
                try reader.finish()
                return nil
            }
            events = try reader.feed(bytes)
            eventIndex = 0
        }
    }

    /// The file's name and purpose, once the body is read; throws what the client must fix.
    mutating func finish() throws -> (filename: String, purpose: String) {
        // A fine-tune file that failed early leaves its body unread; the connection closes after the answer.
        guard sawFile else { throw HTTPError.badRequest("Missing multipart field \"file\"", param: "file", code: "missing_file") }
        guard let purpose else { throw multipart == nil ? Self.missingPurpose : HTTPError.badRequest("Missing multipart field \"purpose\"", param: "purpose", code: "missing_purpose") }
        guard FileRoutes.purposes.contains(purpose) else {
            throw HTTPError.badRequest("purpose must be one of \(FileRoutes.purposes.joined(separator: ", ")); got \"\(purpose)\"",
                                       param: "purpose", code: "invalid_purpose")
        }
        let name = filename ?? "upload.jsonl"
        return (name.isEmpty ? "upload.jsonl" : name, purpose)
    }

    static let missingPurpose = HTTPError.badRequest(
        "Send multipart/form-data with fields \"file\" and \"purpose\", or a raw body with ?purpose=fine-tune&filename=NAME",
        param: "purpose", code: "missing_purpose")
}
