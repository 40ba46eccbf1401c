import JSON
import Platform

/// Builds a safetensors file from F32 and I64 tensors, in the order they are added (the
/// checkpoint order of the model's layout).
public struct SafeTensorsWriter {
    private var header = JSONObject()
    private var data: [UInt8] = []

    public init(metadata: [String: String] = [:]) {
        if !metadata.isEmpty {
            var object = JSONObject()
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { object[key] = .string(value) }
            header["__metadata__"] = .object(object)
        }
    }

    private mutating func entry(_ name: String, dtype: String, shape: [Int], bytes: UnsafeRawBufferPointer) {
        precondition(header[name] == nil, "SafeTensorsWriter: \(name) added twice")
        let start = data.count
        data.append(contentsOf: bytes)
        header[name] = [
            "dtype": .string(dtype),
            "shape": .array(shape.map { .int(Int64($0)) }),
            "data_offsets": [.int(Int64(start)), .int(Int64(data.count))],
        ]
    }

    public mutating func add(_ name: String, floats: UnsafeBufferPointer<Float>, shape: [Int]) {
        precondition(shape.reduce(1, *) == floats.count, "SafeTensorsWriter: \(name) shape \(shape) for \(floats.count) floats")
        entry(name, dtype: "F32", shape: shape, bytes: UnsafeRawBufferPointer(floats))
    }

    public mutating func add(_ name: String, floats: [Float], shape: [Int]) {
        floats.withUnsafeBufferPointer { add(name, floats: $0, shape: shape) }
    }

    public mutating func add(_ name: String, integers: [Int64], shape: [Int]) {
        precondition(shape.reduce(1, *) == integers.count, "SafeTensorsWriter: \(name) shape \(shape) for \(integers.count) values")
        integers.withUnsafeBytes { entry(name, dtype: "I64", shape: shape, bytes: $0) }
    }

    /// The whole file: header padded with spaces to a multiple of 8 bytes, then the data.
    public func bytes() -> [UInt8] {
        var text = JSONValue.object(header).encodedBytes()
        while text.count % 8 != 0 { text.append(0x20) }
        var result: [UInt8] = []
        result.reserveCapacity(8 + text.count + data.count)
        for i in 0..<8 { result.append(UInt8(truncatingIfNeeded: text.count >> (8 * i))) }
        result += text
        result += data
        return result
    }

    public func write(to path: String) throws(CheckpointError) {
        do { try Files.write(path, bytes()) } catch { throw .unreadable(path: path, error) }
    }
}
