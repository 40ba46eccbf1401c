import Platform

/// One contiguous, zeroed, 64-byte aligned block of `Float`s for one role of a model: its
/// parameters, their gradients, AdamW's first and second moments, the activations or their
/// gradients. Tensors are slices of it (`TensorSlice`), never separate allocations, so a
/// whole role is zeroed, saved or stepped over with one flat loop. A block of a megabyte or
/// more is mapped from the kernel's zero pages, so the parts never written (a frozen model's
/// gradients) take no memory.
public final class Arena: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// Bytes from `ZeroPages` (0: allocated on the heap).
    let mapped: Int

    public init(count: Int) {
        precondition(count >= 0, "Arena: negative size")
        self.count = count
        let bytes = max(count, 1) * 4
        if bytes >= 1 << 20, let region = ZeroPages.allocate(bytes) {
            pointer = region.bindMemory(to: Float.self, capacity: max(count, 1))
            mapped = bytes
        } else {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
            pointer.initialize(repeating: 0, count: max(count, 1))
            mapped = 0
        }
    }

    deinit {
        if mapped > 0 { ZeroPages.free(pointer, bytes: mapped) } else { pointer.deallocate() }
    }

    /// The slice of `shape` starting `offset` floats into the arena.
    public func slice(offset: Int, shape: [Int]) -> TensorSlice {
        let size = shape.reduce(1, *)
        precondition(offset >= 0 && offset + size <= count, "Arena: slice \(offset)+\(size) outside \(count)")
        return TensorSlice(pointer: pointer + offset, offset: offset, shape: shape)
    }

    /// Consecutive slices of `shapes` that fill the whole arena (a model's parameter layout).
    public func slices(_ shapes: [[Int]]) -> [TensorSlice] {
        var slices: [TensorSlice] = [], offset = 0
        for shape in shapes {
            slices.append(slice(offset: offset, shape: shape))
            offset += shape.reduce(1, *)
        }
        precondition(offset == count, "Arena: \(count) floats for a layout of \(offset)")
        return slices
    }

    /// The slice at the same offset and shape as `other`, which belongs to another arena of the
    /// same layout (the gradient or moment of a parameter).
    public func matching(_ other: TensorSlice) -> TensorSlice {
        slice(offset: other.offset, shape: other.shape)
    }

    /// Sets every float to zero (before each backward pass, STYLE.md pitfall 4).
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// The floats as raw little-endian bytes (checkpoints).
    public var bytes: [UInt8] { Array(UnsafeRawBufferPointer(start: pointer, count: count * 4)) }

    /// Copies `bytes` (from `bytes`) back; false when the size does not match.
    public func restore(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == count * 4 else { return false }
        bytes.withUnsafeBytes { UnsafeMutableRawPointer(pointer).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return true
    }

    /// A copy of every float (the arena stays alive while copying).
    public var floats: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
}
