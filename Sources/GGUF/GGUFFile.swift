/// The header of a GGUF file (versions 2 and 3): its metadata and its tensor info table.
/// Tensor data is not copied; `dataOffset` and each tensor's `offset` locate it in the file.
public struct GGUFFile: Sendable {
    public var version: UInt32
    /// Metadata in file order.
    public var keys: [String]
    public var metadata: [String: GGUFValue]
    public var tensors: [GGUFTensorInfo]
    /// `general.alignment`, 32 when absent.
    public var alignment: Int
    /// Where tensor data starts in the file (after the header, aligned).
    public var dataOffset: Int

    public init(bytes: [UInt8]) throws(GGUFError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(GGUFError) -> GGUFFile in try GGUFFile(bytes: raw) }
        }
        self = try result.get()
    }

    public init(bytes: UnsafeRawBufferPointer) throws(GGUFError) {
        var reader = GGUFReader(bytes: bytes)
        guard try reader.uint32() == 0x4655_4747 else { throw GGUFError(offset: 0, reason: "not a GGUF file (bad magic)") }
        version = try reader.uint32()
        guard version == 2 || version == 3 else { throw GGUFError(offset: 4, reason: "unsupported version \(version)") }
        let tensorCount = try reader.count(limit: bytes.count / 24)
        let keyCount = try reader.count(limit: bytes.count / 12)
        keys = []
        metadata = [:]
        for _ in 0..<keyCount {
            let key = try reader.string()
            let type = try reader.valueType()
            metadata[key] = try reader.value(type, depth: 0)
            keys.append(key)
        }
        tensors = []
        for _ in 0..<tensorCount {
            let at = reader.offset
            let name = try reader.string()
            let rank = try reader.uint32()
            guard rank <= 8 else { throw GGUFError(offset: at, reason: "tensor \(name) has \(rank) dimensions") }
            var dimensions: [Int] = []
            for _ in 0..<rank { dimensions.append(try reader.count(limit: Int.max)) }
            let type = try reader.uint32()
            let offset = try reader.count(limit: Int.max)
            tensors.append(GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: offset))
        }
        alignment = metadata["general.alignment"]?.int ?? 32
        guard alignment > 0, alignment <= 1 << 20 else {
            throw GGUFError(offset: reader.offset, reason: "general.alignment must be from 1 to 1 MiB, not \(alignment)")
        }
        dataOffset = (reader.offset + alignment - 1) / alignment * alignment
    }

    public subscript(key: String) -> GGUFValue? { metadata[key] }
}

/// Little-endian reads with bounds checks; every failure names its byte offset.
struct GGUFReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func take<T: FixedWidthInteger>(_: T.Type) throws(GGUFError) -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else { throw GGUFError(offset: offset, reason: "unexpected end of file") }
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += size
        return value
    }

    mutating func uint32() throws(GGUFError) -> UInt32 { try take(UInt32.self) }

    /// A u64 count or size that must fit `limit`.
    mutating func count(limit: Int) throws(GGUFError) -> Int {
        let at = offset
        let value = try take(UInt64.self)
        guard value <= UInt64(limit) else { throw GGUFError(offset: at, reason: "count \(value) is too large") }
        return Int(value)
    }

    mutating func string() throws(GGUFError) -> String {
        let length = try count(limit: bytes.count)
        guard offset + length <= bytes.count else { throw GGUFError(offset: offset, reason: "string runs past the end") }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]), as: UTF8.self)
        offset += length
        return text
    }

    mutating func valueType() throws(GGUFError) -> GGUFValueType {
        let at = offset
        let code = try uint32()
        guard let type = GGUFValueType(rawValue: code) else { throw GGUFError(offset: at, reason: "unknown value type \(code)") }
        return type
    }

    mutating func value(_ type: GGUFValueType, depth: Int) throws(GGUFError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try take(UInt8.self))
        case .int8: return .int8(try take(Int8.self))
        case .uint16: return .uint16(try take(UInt16.self))
        case .int16: return .int16(try take(Int16.self))
        case .uint32: return .uint32(try take(UInt32.self))
        case .int32: return .int32(try take(Int32.self))
        case .uint64: return .uint64(try take(UInt64.self))
        case .int64: return .int64(try take(Int64.self))
        case .float32: return .float32(Float(bitPattern: try take(UInt32.self)))
        case .float64: return .float64(Double(bitPattern: try take(UInt64.self)))
        case .bool:
            let at = offset
            let b = try take(UInt8.self)
            guard b <= 1 else { throw GGUFError(offset: at, reason: "bool must be 0 or 1, found \(b)") }
            return .bool(b == 1)
        case .string: return .string(try string())
        case .array:
            guard depth < 4 else { throw GGUFError(offset: offset, reason: "arrays nested too deeply") }
            let elementType = try valueType()
            let n = try count(limit: bytes.count - offset)
            var items: [GGUFValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try value(elementType, depth: depth + 1)) }
            return .array(elementType, items)
        }
    }
}
