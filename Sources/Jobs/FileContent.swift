import Store

/// The bytes of a stored file, kept as chunks of at most `chunkBytes` (table `file_chunk`): written
/// in the transaction that inserts the file's row, read whole (training) or a chunk at a time
/// (downloads).
public enum FileContent {
    public static let chunkBytes = 8 << 20

    /// Writes `bytes` as the chunks of `file`; call in the transaction that inserts the file row.
    public static func write(_ connection: Connection, file: String, bytes: [UInt8]) throws {
        var writer = Writer(connection, file: file)
        try writer.write(bytes)
        try writer.finish()
    }

    /// Writes a file's chunks as its bytes arrive, each chunk exactly `chunkBytes` but the last, in
    /// the caller's transaction; holds at most one chunk.
    public struct Writer {
        let connection: Connection
        let file: String
        var pending: [UInt8] = []
        var seq = 0
        public private(set) var size = 0

        public init(_ connection: Connection, file: String) {
            self.connection = connection
            self.file = file
        }

        public mutating func write(_ bytes: [UInt8]) throws {
            size += bytes.count
            var rest = bytes[...]
            while !rest.isEmpty {
                let n = min(rest.count, chunkBytes - pending.count)
                pending += rest.prefix(n)
                rest = rest.dropFirst(n)
                if pending.count == chunkBytes { try flush() }
            }
        }

        /// Writes the last chunk (an empty file has one, empty).
        public mutating func finish() throws {
            if !pending.isEmpty || seq == 0 { try flush() }
        }

        mutating func flush() throws {
            if pending.count > 1 << 20 { connection.retireAfterUse = true }
            try connection.execute("INSERT INTO file_chunk (file_id, seq, data) VALUES (\(file), \(seq), \(pending))")
            seq += 1
            pending.removeAll(keepingCapacity: true)
        }
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
