import JSON
import Jobs
import Platform
import Service
import Store
import Testing
import TestSupport

/// File contents as chunks of 8 MiB: uploads of several chunks round-trip byte for byte through
/// a streamed download, deletes take the chunks along, and migration 0013 moves the bytes of
/// files stored before it into chunks.
@Suite("Files in chunks", .serialized)
struct FileChunkTests {
    @Test("A 17 MiB upload is stored as 3 chunks and downloads byte for byte; a delete removes the chunks")
    func multiChunkRoundTrip() throws {
        let api = try APIHarness()
        var content: [UInt8] = []
        var i = 0
        while content.count < 17 << 20 {
            content += Array(#"{"text": "review \#(i) \#(String(repeating: "abcdefgh", count: 12))", "label": "\#(i % 2 == 0 ? "fresh" : "rotten")"}"#.utf8) + [10]
            i += 1
        }
        let file = try api.upload(content)
        let connection = try Connection(url: api.application.configuration.databaseURL)
        let chunks = try connection.query("SELECT count(*) AS n, max(octet_length(data)) AS largest FROM file_chunk WHERE file_id = \(file)")[0]
        #expect(try chunks.decode(Int.self, "n") == 3 && chunks.decode(Int.self, "largest") == 8 << 20)
        let download = try api.call("GET", "/v1/files/\(file)/content", timeout: 60)
        #expect(download.status == 200)
        #expect(download.body.count == content.count && download.body == content)
        #expect(try api.call("GET", "/v1/files/\(file)").json["bytes"] == .int(Int64(content.count)))
        #expect(try api.call("DELETE", "/v1/files/\(file)").status == 200)
        #expect(try connection.query("SELECT count(*) AS n FROM file_chunk WHERE file_id = \(file)")[0].decode(Int.self, "n") == 0)
    }

    @Test("Migration 0013 moves every stored file's bytes into a chunk, unchanged")
    func migrationMovesContent() throws {
        let (url, drop) = try TestDatabase.create()
        defer { drop() }
        let connection = try Connection(url: url)
        _ = try Migrator.migrate(connection, embeddedMigrations.filter { $0.version < 13 })
        try connection.execute("INSERT INTO tenant (id) VALUES ('t')")
        let contents: [(String, [UInt8])] = [("file-a", Array("{\"text\": \"a\", \"label\": \"x\"}\n".utf8)), ("file-b", [0, 255, 10, 13, 0])]
        for (id, bytes) in contents {
            try connection.execute("""
                INSERT INTO file (id, tenant_id, filename, purpose, bytes, sha256, content)
                VALUES (\(id), 't', 'f.jsonl', 'fine-tune', \(bytes.count), \(Crypto.hex(Crypto.sha256(bytes))), \(bytes))
                """)
        }
        #expect(try Migrator.migrate(connection, embeddedMigrations).contains(13))
        for (id, bytes) in contents {
            #expect(try Jobs.FileContent.read(connection, file: id, tenant: "t") == bytes)
        }
        #expect(try Jobs.FileContent.read(connection, file: "file-a", tenant: "other") == nil, "another tenant's file is not found")
    }
}
