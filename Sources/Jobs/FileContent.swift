import Store

/// The bytes of a stored file, kept as chunks of at most `chunkBytes` (table `file_chunk`): written
/// in the transaction that inserts the file's row, read whole (training) or a chunk at a time
/// (downloads).
public enum FileContent {
    public static let chunkBytes = 8 << 20

    /// Writes `bytes` as the chunks of `file`; call in the transaction that inserts the file row.
    public static func write(_ connection: Connection, file: String, bytes: [UInt8]) throws {
        var seq = 0, start = 0
        repeat {
            let end = min(bytes.count, start + chunkBytes)
            try connection.execute("INSERT INTO file_chunk (file_id, seq, data) VALUES (\(file), \(seq), \(Array(bytes[start..<end])))")
            seq += 1
            start = end
        } while start < bytes.count
    }

    /// The whole content of the tenant's file, or nil when there is no such file.
    public static func read(_ connection: Connection, file: String, tenant: String) throws -> [UInt8]? {
        guard let size = try connection.query("SELECT bytes FROM file WHERE id = \(file) AND tenant_id = \(tenant)").first?
            .decode(Int.self, "bytes") else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        for seq in 0..<chunkCount(size) {
            bytes += try chunk(connection, file: file, seq: seq)
        }
        return bytes
    }

    /// How many chunks a file of `size` bytes has (an empty file has one, empty).
    public static func chunkCount(_ size: Int) -> Int { max(1, (size + chunkBytes - 1) / chunkBytes) }

    /// One chunk; a missing one is a corrupt file.
    public static func chunk(_ connection: Connection, file: String, seq: Int) throws -> [UInt8] {
        guard let data = try connection.queryBinary("SELECT data FROM file_chunk WHERE file_id = \(file) AND seq = \(seq)").first?.bytes("data") else {
            throw MissingChunk(file: file, seq: seq)
        }
        return data
    }

    public struct MissingChunk: Error, CustomStringConvertible {
        public let file: String, seq: Int
        public var description: String { "file \(file) has no chunk \(seq)" }
    }
}
