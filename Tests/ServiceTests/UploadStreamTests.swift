import JSON
import Platform
import Service
import Store
import Testing
import TestSupport

/// `POST /v1/files` streams: multipart fields in either order, files of several chunks, and
/// failures (bad lines, missing fields, a client that leaves) that store nothing.
@Suite("Uploads streamed to PostgreSQL", .serialized)
struct UploadStreamTests {
    static let boundary = "b0undary-77"
    static func multipart(file: [UInt8], purpose: String?, fileFirst: Bool) -> [UInt8] {
        let filePart = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jsonl\"\r\n\r\n".utf8) + file + [13, 10]
        let purposePart = purpose.map { Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n\($0)\r\n".utf8) } ?? []
        return (fileFirst ? filePart + purposePart : purposePart + filePart) + Array("--\(boundary)--\r\n".utf8)
    }
    static let headers = [("Content-Type", "multipart/form-data; boundary=\(boundary)")]

    static func dataset(bytes: Int) -> [UInt8] {
        var content: [UInt8] = []
        var i = 0
        while content.count < bytes {
            content += Array(#"{"text": "review \#(i) \#(String(repeating: "xyz ", count: 20))", "label": "\#(["fresh", "rotten"][i % 2])"}"#.utf8) + [10]
            i += 1
        }
        return content
    }

    static func stored(_ api: APIHarness) throws -> (files: Int, chunks: Int) {
        let connection = try Connection(url: api.application.configuration.databaseURL)
        let row = try connection.query("SELECT (SELECT count(*) FROM file) AS files, (SELECT count(*) FROM file_chunk) AS chunks")[0]
        return (try row.decode(Int.self, "files"), try row.decode(Int.self, "chunks"))
    }

    @Test("A 17 MiB multipart upload with the file before its purpose: 3 chunks, its SHA-256, its report, byte for byte back")
    func fileBeforePurpose() throws {
        let api = try APIHarness()
        let content = Self.dataset(bytes: 17 << 20)
        let created = try api.call("POST", "/v1/files", body: Self.multipart(file: content, purpose: "fine-tune", fileFirst: true),
                                   headers: Self.headers, timeout: 60)
        #expect(created.status == 200, "\(created.text)")
        let id = try #require(created.json["id"]?.string)
        #expect(created.json["bytes"] == .int(Int64(content.count)) && created.json["filename"] == "big.jsonl")
        #expect(created.json["purpose"] == "fine-tune" && created.json["labels"] == .array(["fresh", "rotten"]))
        let connection = try Connection(url: api.application.configuration.databaseURL)
        let row = try connection.query("SELECT sha256, (SELECT count(*) FROM file_chunk WHERE file_id = \(id)) AS n FROM file WHERE id = \(id)")[0]
        #expect(try row.decode(String.self, "sha256") == Crypto.hex(Crypto.sha256(content)) && row.decode(Int.self, "n") == 3)
        let download = try api.call("GET", "/v1/files/\(id)/content", timeout: 60)
        #expect(download.body == content)
    }

    @Test("A fine-tune file that starts with bad lines is refused before the rest is read, and nothing is stored")
    func badLinesFailEarly() throws {
        let api = try APIHarness()
        let before = try Self.stored(api)
        let bad = Array(String(repeating: "not json\n", count: 12).utf8) + Self.dataset(bytes: 24 << 20)
        let response = try api.call("POST", "/v1/files?purpose=fine-tune&filename=bad.jsonl", body: bad, timeout: 60)
        #expect(response.status == 400 && response.json["error"]?["code"] == "invalid_file_format")
        #expect(response.json["error"]?["message"]?.string?.contains("line 1: invalid JSON") == true)
        #expect(try Self.stored(api) == before)
    }

    @Test("Missing fields and a bad purpose are 400s that store nothing", arguments: [
        (nil as String?, false, "missing_purpose"), ("nonsense", false, "invalid_purpose"),
    ])
    func missingFields(purpose: String?, fileFirst: Bool, code: String) throws {
        let api = try APIHarness()
        let before = try Self.stored(api)
        let response = try api.call("POST", "/v1/files", body: Self.multipart(file: Self.dataset(bytes: 1000), purpose: purpose, fileFirst: fileFirst),
                                    headers: Self.headers)
        #expect(response.status == 400 && response.json["error"]?["code"] == .string(code))
        #expect(try Self.stored(api) == before)
    }

    @Test("A client that leaves mid-upload stores nothing and frees its database connection")
    func clientLeaves() throws {
        let api = try APIHarness()
        let before = try Self.stored(api)
        do {
            let client = try TestClient(port: api.port)
            try client.send("POST /v1/files?purpose=user_data HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(api.keyA)\r\nContent-Length: \(40 << 20)\r\n\r\n")
            try client.send(Self.dataset(bytes: 12 << 20))
            sleep(seconds: 0.3)
        }
        let deadline = MonotonicClock.now + 10
        let connection = try Connection(url: api.application.configuration.databaseURL)
        var open = -1
        while MonotonicClock.now < deadline {
            open = try connection.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'")[0].decode(Int.self, "n")
            if open == 0 { break }
            sleep(seconds: 0.05)
        }
        #expect(open == 0, "the upload's transaction was rolled back")
        #expect(try Self.stored(api) == before)
        #expect(try api.upload() .hasPrefix("file-"), "uploads still work")
    }
}
