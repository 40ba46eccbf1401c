/// A file of known size that writes itself out piece by piece (a model download's
/// safetensors), so a large file goes out without being assembled in memory first.
///
/// `@unchecked Sendable`: its producer reads memory that the producer's owner keeps alive and
/// nothing changes while a download runs; it is called on one thread at a time.
public struct StreamedFile: @unchecked Sendable {
    public typealias Sink = (UnsafeRawBufferPointer) throws -> Void
    public let name: String
    /// Bytes `write` produces, in all.
    public let size: Int
    private let produce: (Sink) throws -> Void

    public init(name: String, size: Int, produce: @escaping (Sink) throws -> Void) {
        self.name = name
        self.size = size
        self.produce = produce
    }

    public init(name: String, bytes: [UInt8]) {
        self.init(name: name, size: bytes.count) { sink in try bytes.withUnsafeBytes { try sink($0) } }
    }

    /// Calls `sink` with the file's bytes in order, `size` of them in all.
    public func write(_ sink: Sink) throws {
        var written = 0
        try produce { piece in
            written += piece.count
            precondition(written <= size, "\(name): produced more than its \(size) bytes")
            try sink(piece)
        }
        precondition(written == size, "\(name): produced \(written) of its \(size) bytes")
    }

    /// The whole file in memory (small files and tests).
    public func bytes() throws -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(size)
        try write { result.append(contentsOf: $0) }
        return result
    }
}
