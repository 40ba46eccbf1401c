/// Where a batch's real tokens sit when the encoder runs padding-free: the rows of the padded
/// (B, T) layout whose mask is set, packed in order (M of them). The row-wise steps (linear
/// layers, LayerNorm, GELU, dropout, LoRA) run on the M packed rows only; the embeddings and
/// attention run in the padded layout, the rows moved there (`scatter`) and back (`gather`).
/// Real tokens get exactly the values the padded computation gives them: padded keys are
/// masked out of attention, and every other step works row by row.
struct BertRows {
    /// M: the rows the row-wise steps run on.
    let count: Int
    /// The padded row of each packed row; nil when nothing is packed (no padding, packing off,
    /// or a sequence whose first token is masked).
    let padded: [Int]?
    /// Each sequence's first row in the packed layout (b·T when nothing is packed).
    let starts: [Int]

    init(_ batch: BertBatch, packing: Bool) {
        let B = batch.B, T = batch.T, N = B * T
        var rows: [Int] = [], firsts: [Int] = []
        if packing && batch.mask.contains(0) && (0..<B).allSatisfy({ batch.mask[$0 * T] != 0 }) {
            rows.reserveCapacity(N)
            for i in 0..<N where batch.mask[i] != 0 {
                if i % T == 0 { firsts.append(rows.count) }
                rows.append(i)
            }
            (count, padded, starts) = (rows.count, rows, firsts)
        } else {
            (count, padded, starts) = (N, nil, (0..<B).map { $0 * T })
        }
    }

    /// Packed row r of `packed` ← row `padded[r]` of `from`, `width` floats a row.
    func gather(_ from: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>, width: Int) {
        guard let padded else { return }
        for (r, row) in padded.enumerated() { (packed + r * width).update(from: from + row * width, count: width) }
    }

    /// The padded layout `into` (`rows` rows) from `packed`: each packed row at its place, the padding rows zero.
    func scatter(_ packed: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        guard let padded else { return }
        into.update(repeating: 0, count: rows * width)
        for (r, row) in padded.enumerated() { (into + row * width).update(from: packed + r * width, count: width) }
    }
}
