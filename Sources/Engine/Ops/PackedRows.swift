/// Padding-free batches: the rows of a padded (B, T) batch that carry work, packed in order (M
/// of them). The row-wise steps (linear layers, norms, activations, dropout, LoRA) run on the M
/// packed rows only; attention (and BERT's embeddings) runs in the padded layout, the rows
/// moved there (`scatter`) and back (`gather`). The packed rows get exactly the values the
/// padded computation gives them: the rows left out are masked out of attention (BERT's
/// padding) or come after everything scored (a causal model's tail), and every other step
/// works row by row.
public struct PackedRows: Sendable {
    /// M: the rows the row-wise steps run on.
    public let count: Int
    /// The padded row of each packed row; nil when nothing is left out (the identity).
    public let padded: [Int]?
    /// Each sequence's first row in the packed layout (b·T when nothing is left out).
    public let starts: [Int]

    /// The rows whose `mask` is set, when every sequence's first token is (BERT: the first
    /// token feeds the pooler); all rows otherwise, or without `packing`.
    public init(mask: [Int32], B: Int, T: Int, packing: Bool = true) {
        guard packing && mask.contains(0) && (0..<B).allSatisfy({ mask[$0 * T] != 0 }) else {
            (count, padded, starts) = (B * T, nil, (0..<B).map { $0 * T })
            return
        }
        var rows: [Int] = [], firsts: [Int] = []
        for i in 0..<(B * T) where mask[i] != 0 {
            if i % T == 0 { firsts.append(rows.count) }
            rows.append(i)
        }
        (count, padded, starts) = (rows.count, rows, firsts)
    }

    /// The first `lengths[b]` rows of each sequence b (a length may be 0).
    public init(lengths: [Int], T: Int) {
        guard lengths.contains(where: { $0 < T }) else {
            (count, padded, starts) = (lengths.count * T, nil, (0..<lengths.count).map { $0 * T })
            return
        }
        var rows: [Int] = [], firsts: [Int] = []
        for (b, length) in lengths.enumerated() {
            firsts.append(rows.count)
            rows += (b * T)..<(b * T + length)
        }
        (count, padded, starts) = (rows.count, rows, firsts)
    }

    /// Each sequence of a causal batch up to its last scored position (`targets` -100 elsewhere):
    /// under the causal mask the rows after it, padding included, feed nothing scored.
    public init(scoredThrough targets: [Int32], B: Int, T: Int) {
        self.init(lengths: (0..<B).map { b in ((0..<T).last { targets[b * T + $0] != -100 } ?? -1) + 1 }, T: T)
    }

    /// The padded row of packed row `r`.
    @inline(__always)
    public func row(_ r: Int) -> Int { padded?[r] ?? r }

    /// `values` (one per padded row) at the packed rows.
    public func pack<T>(_ values: [T]) -> [T] { padded.map { $0.map { values[$0] } } ?? values }

    /// Packed row r of `packed` ← row `padded[r]` of `from`, `width` floats a row.
    public func gather(_ from: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>, width: Int) {
        guard let padded else { return }
        for (r, row) in padded.enumerated() { (packed + r * width).update(from: from + row * width, count: width) }
    }

    /// The padded layout `into` (`rows` rows) from `packed`: each packed row at its place, the others zero.
    public func scatter(_ packed: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        guard let padded else { return }
        into.update(repeating: 0, count: rows * width)
        for (r, row) in padded.enumerated() { (into + row * width).update(from: packed + r * width, count: width) }
    }
}
