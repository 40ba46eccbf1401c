import JSON
import Platform

/// A safetensors file, mapped read-only: an 8-byte little-endian header length, a JSON header
/// of `name: {dtype, shape, data_offsets}` and the raw tensor bytes. Tensors are converted
/// on read (F32, F16, BF16 to Float; I64 to Int64).
public struct SafeTensors: @unchecked Sendable {
    public enum DType: String, Sendable {
        case f32 = "F32", f16 = "F16", bf16 = "BF16", i64 = "I64", i32 = "I32"

        var size: Int {
            switch self {
            case .f32, .i32: 4
            case .f16, .bf16: 2
            case .i64: 8
            }
        }
    }

    public struct Entry: Sendable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        /// Byte range in the file.
        public let bytes: Range<Int>
        public var count: Int { shape.reduce(1, *) }
    }

    public let path: String
    /// Tensors in the header's order.
    public let entries: [Entry]
    public let metadata: [String: String]
    private let index: [String: Int]
    private let file: MappedFile

    public init(path: String) throws(CheckpointError) {
        self.path = path
        do { file = try MappedFile(path: path) } catch { throw .unreadable(path: path, error) }
        let header = try Header(file.bytes, path: path)
        entries = header.entries
        metadata = header.metadata
        var index: [String: Int] = [:]
        for (i, entry) in entries.enumerated() { index[entry.name] = i }
        self.index = index
    }

    /// The header of a safetensors file in memory: its tensors (checked to lie inside `bytes`
    /// and to hold their shape's elements) and metadata. Nothing is read past the header.
    public struct Header {
        public var entries: [Entry] = []
        public var metadata: [String: String] = [:]

        public init(_ bytes: UnsafeRawBufferPointer, path: String) throws(CheckpointError) {
            func invalid(_ reason: String) -> CheckpointError { .invalidFile(path: path, reason: reason) }
            guard bytes.count >= 8 else { throw invalid("shorter than 8 bytes") }
            var length: UInt64 = 0
            for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
            guard length > 0, length <= UInt64(bytes.count - 8) else { throw invalid("header length \(length) outside the file") }
            let dataStart = 8 + Int(length), dataSize = bytes.count - dataStart
            let header: JSONValue
            do { header = try JSONValue(parsing: UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart])) } catch { throw invalid("header: \(error)") }
            guard let object = header.object else { throw invalid("header is not an object") }
            for (name, value) in object {
                if name == "__metadata__" {
                    for (key, item) in value.object ?? JSONObject() { metadata[key] = item.string }
                    continue
                }
                guard let dtypeName = value["dtype"]?.string else { throw invalid("\(name) has no dtype") }
                guard let shape = value["shape"]?.array?.compactMap(\.int), shape.allSatisfy({ $0 >= 0 }),
                      shape.count == value["shape"]?.array?.count else { throw invalid("\(name) has a bad shape") }
                guard let offsets = value["data_offsets"]?.array?.compactMap(\.int), offsets.count == 2,
                      offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize
                else { throw invalid("\(name) has data_offsets outside the file") }
                guard let dtype = DType(rawValue: dtypeName) else { throw .unsupportedDType(key: name, dtype: dtypeName) }
                // The element count may not overflow: a shape of huge dimensions is a bad file, not a crash.
                var bytesNeeded = dtype.size
                for dimension in shape {
                    let (product, overflow) = bytesNeeded.multipliedReportingOverflow(by: dimension)
                    guard !overflow else { throw invalid("\(name): shape \(shape) is too large") }
                    bytesNeeded = product
                }
                guard offsets[1] - offsets[0] == bytesNeeded else {
                    throw invalid("\(name): \(offsets[1] - offsets[0]) bytes for shape \(shape) of \(dtypeName)")
                }
                entries.append(Entry(name: name, dtype: dtype, shape: shape, bytes: (dataStart + offsets[0])..<(dataStart + offsets[1])))
            }
        }
    }

    public subscript(name: String) -> Entry? { index[name].map { entries[$0] } }

    /// Converts tensor `name` to floats at `destination` (which holds `entry.count` floats).
    public func read(_ name: String, into destination: UnsafeMutablePointer<Float>) throws(CheckpointError) {
        guard let entry = self[name] else { throw .missingKey(name) }
        let base = file.bytes.baseAddress! + entry.bytes.lowerBound
        let n = entry.count
        switch entry.dtype {
        case .f32:
            UnsafeMutableRawPointer(destination).copyMemory(from: base, byteCount: n * 4)
        case .f16:
            for i in 0..<n { destination[i] = Float(Float16(bitPattern: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in 0..<n { destination[i] = Float(bitPattern: UInt32(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
        case .i64, .i32:
            throw .unsupportedDType(key: name, dtype: entry.dtype.rawValue + " as float")
        }
    }

    public func floats(_ name: String) throws(CheckpointError) -> [Float] {
        guard let entry = self[name] else { throw .missingKey(name) }
        var result = [Float](repeating: 0, count: entry.count)
        var failure: CheckpointError?
        result.withUnsafeMutableBufferPointer { buffer in
            do throws(CheckpointError) { try read(name, into: buffer.baseAddress!) } catch { failure = error }
        }
        if let failure { throw failure }
        return result
    }

    public func integers(_ name: String) throws(CheckpointError) -> [Int64] {
        guard let entry = self[name] else { throw .missingKey(name) }
        let base = file.bytes.baseAddress! + entry.bytes.lowerBound
        switch entry.dtype {
        case .i64: return (0..<entry.count).map { base.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) }
        case .i32: return (0..<entry.count).map { Int64(base.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
        default: throw .unsupportedDType(key: name, dtype: entry.dtype.rawValue + " as integers")
        }
    }
}
