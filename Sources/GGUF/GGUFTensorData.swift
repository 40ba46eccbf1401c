/// Tensor data of a GGUF file as float32: F32, F16 and BF16 are converted, and the block
/// quantizations Q8_0, Q4_0 and Q4_1 dequantized (blocks of 32 elements, each with a float16
/// scale `d`, and for Q4_1 a float16 minimum `m`):
///
///     Q8_0 (34 bytes):  x[i] = d · q[i]                       q: 32 × int8
///     Q4_0 (18 bytes):  x[i] = d · (nibble(i) − 8)            16 bytes: element i < 16 in the low
///     Q4_1 (20 bytes):  x[i] = d · nibble(i) + m              nibble of byte i, i ≥ 16 in the high
///                                                             nibble of byte i − 16
///
/// Elements come in GGUF's order, dimension 0 fastest: a matrix of dimensions [in, out] is
/// `out` rows of `in` floats, as PyTorch's (out, in) weight.
public enum GGUFTensorType: UInt32, Sendable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q8_0 = 8, bf16 = 30

    /// Elements per block and bytes per block.
    var block: (elements: Int, bytes: Int) {
        switch self {
        case .f32: (1, 4)
        case .f16, .bf16: (1, 2)
        case .q8_0: (32, 34)
        case .q4_0: (32, 18)
        case .q4_1: (32, 20)
        }
    }
}

extension GGUFFile {
    /// The floats of `tensor` read from `file` (the whole GGUF file this header came from).
    /// An unsupported type, a size that is not whole blocks or data past the end is an error
    /// naming the tensor.
    public func floats(_ tensor: GGUFTensorInfo, in file: UnsafeRawBufferPointer) throws(GGUFError) -> [Float] {
        guard let type = GGUFTensorType(rawValue: tensor.type) else {
            throw GGUFError(offset: dataOffset,
                            reason: "tensor \(tensor.name) has ggml type \(tensor.type), which Anneal cannot dequantize (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1)")
        }
        // Sizes come from the file: a product or sum that overflows is a bad file, not a crash.
        var count = 1
        for dimension in tensor.dimensions {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= file.count else {
                throw GGUFError(offset: dataOffset, reason: "tensor \(tensor.name): dimensions \(tensor.dimensions) hold more elements than the file has bytes")
            }
            count = product
        }
        let (perBlock, blockBytes) = type.block
        guard count % perBlock == 0 else {
            throw GGUFError(offset: dataOffset, reason: "tensor \(tensor.name): \(count) elements are not whole blocks of \(perBlock)")
        }
        let (start, startOverflow) = dataOffset.addingReportingOverflow(tensor.offset), length = count / perBlock * blockBytes
        guard !startOverflow, start >= 0, length <= file.count, start <= file.count - length else {
            throw GGUFError(offset: start, reason: "tensor \(tensor.name): \(length) bytes of data run past the end of the file")
        }
        let base = file.baseAddress! + start
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch type {
            case .f32:
                for i in 0..<count { out[i] = Float(bitPattern: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            case .f16:
                for i in 0..<count { out[i] = half(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            case .bf16:
                for i in 0..<count { out[i] = Float(bitPattern: UInt32(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
            case .q8_0, .q4_0, .q4_1:
                for block in 0..<(count / 32) {
                    dequantize(type, base + block * blockBytes, into: out.baseAddress! + block * 32)
                }
            }
            initialized = count
        }
    }
}

/// One block of 32 quantized elements.
private func dequantize(_ type: GGUFTensorType, _ block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
    let d = half(block.loadUnaligned(as: UInt16.self))
    switch type {
    case .q8_0:
        for i in 0..<32 { out[i] = d * Float(block.load(fromByteOffset: 2 + i, as: Int8.self)) }
    case .q4_0:
        for i in 0..<16 {
            let byte = block.load(fromByteOffset: 2 + i, as: UInt8.self)
            out[i] = d * (Float(byte & 0x0F) - 8)
            out[i + 16] = d * (Float(byte >> 4) - 8)
        }
    case .q4_1:
        let m = half(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        for i in 0..<16 {
            let byte = block.load(fromByteOffset: 4 + i, as: UInt8.self)
            out[i] = d * Float(byte & 0x0F) + m
            out[i + 16] = d * Float(byte >> 4) + m
        }
    default:
        preconditionFailure("dequantize: \(type) is not a block type")
    }
}

/// IEEE 754 half precision to float.
@inline(__always) func half(_ bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }
