/// One metadata value of a GGUF file, of one of the format's thirteen value types.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String), uint64(UInt64), int64(Int64), float64(Double)
    /// An array of one element type (never nested in files llama.cpp writes, but allowed).
    case array(GGUFValueType, [GGUFValue])

    /// Any integer value that fits `Int`.
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var double: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return int.map(Double.init)
        }
    }

    public var array: [GGUFValue]? {
        if case .array(_, let items) = self { return items }
        return nil
    }
}

/// The value type codes of the GGUF format.
public enum GGUFValueType: UInt32, Sendable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12
}

/// A tensor's entry in the GGUF tensor info table. `offset` is relative to `GGUFFile.dataOffset`.
public struct GGUFTensorInfo: Sendable, Equatable {
    public var name: String
    /// Dimensions as GGUF stores them: the fastest-varying first (ggml's ne[0], ne[1], ...).
    public var dimensions: [Int]
    /// The ggml type code (0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 8 Q8_0, 30 BF16, ...).
    public var type: UInt32
    public var offset: Int

    public init(name: String, dimensions: [Int], type: UInt32, offset: Int) {
        self.name = name
        self.dimensions = dimensions
        self.type = type
        self.offset = offset
    }

}

/// Why bytes are not a GGUF file this reader understands, and where.
public struct GGUFError: Error, CustomStringConvertible, Equatable, Sendable {
    public var offset: Int
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "GGUF at byte \(offset): \(reason)" }
}
