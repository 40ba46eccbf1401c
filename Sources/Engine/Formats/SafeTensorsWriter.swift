import Glibc
import JSON
import Platform

/// Builds a safetensors file from F32 and I64 tensors, in the order they are added (the
/// checkpoint order of the model's layout), without copying them: it keeps references and
/// writes the file piece by piece (`write(_:)`), so exporting a model takes no second copy of
/// its weights in memory.
public struct SafeTensorsWriter {
    private enum Source {
        /// Memory the writer's owners keep alive.
        case borrowed(UnsafeRawBufferPointer)
        case floats([Float])
        case integers([Int64])
        /// Computed when the file is written, one tensor at a time (a transposed copy).
        case computed(count: Int, fill: (UnsafeMutableBufferPointer<Float>) -> Void)
    }

    private var header = JSONObject()
    private var sources: [Source] = []
    private var dataCount = 0
    /// The objects whose memory borrowed tensors point into.
    private var owners: [AnyObject] = []

    /// `owner` holds the memory of the tensors added with `borrowing:`; the writer keeps it alive.
    public init(metadata: [String: String] = [:], keeping owner: AnyObject? = nil) {
        if !metadata.isEmpty {
            var object = JSONObject()
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { object[key] = .string(value) }
            header["__metadata__"] = .object(object)
        }
        if let owner { owners.append(owner) }
    }

    private mutating func entry(_ name: String, dtype: String, shape: [Int], count: Int, elementSize: Int, _ source: Source) {
        precondition(header[name] == nil, "SafeTensorsWriter: \(name) added twice")
        precondition(shape.reduce(1, *) == count, "SafeTensorsWriter: \(name) shape \(shape) for \(count) values")
        let start = dataCount
        dataCount += count * elementSize
        sources.append(source)
        header[name] = [
            "dtype": .string(dtype),
            "shape": .array(shape.map { .int(Int64($0)) }),
            "data_offsets": [.int(Int64(start)), .int(Int64(dataCount))],
        ]
    }

    /// Adds `floats` without copying them: the memory must stay valid and unchanged until the
    /// file is written (it belongs to the writer's owner).
    public mutating func add(_ name: String, borrowing floats: UnsafeBufferPointer<Float>, shape: [Int]) {
        entry(name, dtype: "F32", shape: shape, count: floats.count, elementSize: 4, .borrowed(UnsafeRawBufferPointer(floats)))
    }

    public mutating func add(_ name: String, floats: [Float], shape: [Int]) {
        entry(name, dtype: "F32", shape: shape, count: floats.count, elementSize: 4, .floats(floats))
    }

    public mutating func add(_ name: String, integers: [Int64], shape: [Int]) {
        entry(name, dtype: "I64", shape: shape, count: integers.count, elementSize: 8, .integers(integers))
    }

    /// Adds a float tensor that `fill` computes into a scratch buffer while the file is written.
    public mutating func add(_ name: String, shape: [Int], computing fill: @escaping (UnsafeMutableBufferPointer<Float>) -> Void) {
        let count = shape.reduce(1, *)
        entry(name, dtype: "F32", shape: shape, count: count, elementSize: 4, .computed(count: count, fill: fill))
    }

    /// The header: its length as 8 little-endian bytes, then the JSON padded with spaces to a
    /// multiple of 8 bytes.
    private func headerBytes() -> [UInt8] {
        var text = JSONValue.object(header).encodedBytes()
        while text.count % 8 != 0 { text.append(0x20) }
        return (0..<8).map { UInt8(truncatingIfNeeded: text.count >> (8 * $0)) } + text
    }

    /// The file's size in bytes.
    public var byteCount: Int { headerBytes().count + dataCount }

    /// Passes the whole file to `sink`: the header, then each tensor in pieces of at most 1 MiB.
    public func write(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try headerBytes().withUnsafeBytes { try sink($0) }
        func pieces(_ bytes: UnsafeRawBufferPointer) throws {
            for start in stride(from: 0, to: bytes.count, by: 1 << 20) {
                try sink(UnsafeRawBufferPointer(rebasing: bytes[start..<min(bytes.count, start + (1 << 20))]))
            }
        }
        for source in sources {
            switch source {
            case .borrowed(let bytes): try pieces(bytes)
            case .floats(let floats): try floats.withUnsafeBytes { try pieces($0) }
            case .integers(let integers): try integers.withUnsafeBytes { try pieces($0) }
            case .computed(let count, let fill):
                let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
                defer { scratch.deallocate() }
                fill(scratch)
                try pieces(UnsafeRawBufferPointer(scratch))
            }
        }
        withExtendedLifetime(owners) {}
    }

    /// The file as a download's entry named `name`.
    public func file(named name: String) -> StreamedFile {
        StreamedFile(name: name, size: byteCount) { sink in try self.write(sink) }
    }

    /// The whole file in memory (small files and tests).
    public func bytes() -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(byteCount)
        try? write { result.append(contentsOf: $0) }
        return result
    }

    public func write(to path: String) throws(CheckpointError) {
        do { try Files.write(path, producing: write) } catch { throw .unreadable(path: path, error as? Errno ?? Errno(rawValue: EIO)) }
    }
}
