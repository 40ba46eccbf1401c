/// A view of `shape.product` floats inside an `Arena`: where it starts (`offset` from the
/// arena's base, and the resolved `pointer`) and its row-major shape. Slices do not own memory;
/// they live as long as their arena.
public struct TensorSlice: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let offset: Int
    public let shape: [Int]

    public init(pointer: UnsafeMutablePointer<Float>, offset: Int, shape: [Int]) {
        self.pointer = pointer
        self.offset = offset
        self.shape = shape
    }

    public var count: Int { shape.reduce(1, *) }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    /// The `index`-th sub-tensor along the first dimension (layer `l` of a stacked parameter).
    public subscript(index: Int) -> TensorSlice {
        precondition(shape.count >= 1 && index >= 0 && index < shape[0], "TensorSlice: index \(index) outside \(shape)")
        let inner = Array(shape.dropFirst())
        let size = inner.reduce(1, *)
        return TensorSlice(pointer: pointer + index * size, offset: offset + index * size, shape: inner)
    }

    /// Rows `range` of the first dimension, as a tensor of the same rank.
    public func rows(_ range: Range<Int>) -> TensorSlice {
        precondition(shape.count >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "TensorSlice: rows \(range) outside \(shape)")
        let size = shape.dropFirst().reduce(1, *)
        var inner = shape
        inner[0] = range.count
        return TensorSlice(pointer: pointer + range.lowerBound * size, offset: offset + range.lowerBound * size, shape: inner)
    }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public func copy(from source: UnsafePointer<Float>) { pointer.update(from: source, count: count) }
}
