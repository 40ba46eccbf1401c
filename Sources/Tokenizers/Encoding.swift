/// The ids of one input (or pair), with what the model needs beside them.
public struct Encoding: Sendable, Equatable {
    public var ids: [Int]
    /// 0 for the first sequence, 1 for the second (BERT's segment ids).
    public var typeIDs: [Int]
    /// 1 where the post-processor added a special token.
    public var specialTokensMask: [Int]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int]
    /// Where each token is in its input, in Unicode scalars (`Tokenizer.encodeWithOffsets`;
    /// empty ranges otherwise, and for special tokens). Tokens of a pair's second input refer to it.
    public var offsets: [Range<Int>]
    /// What truncation cut off, as windows of the kept length (see `Truncation.stride`).
    public var overflowing: [Encoding] = []

    public init(ids: [Int], typeID: Int = 0) {
        self.ids = ids
        typeIDs = Array(repeating: typeID, count: ids.count)
        specialTokensMask = Array(repeating: 0, count: ids.count)
        attentionMask = Array(repeating: 1, count: ids.count)
        offsets = Array(repeating: 0..<0, count: ids.count)
    }

    public init() { self.init(ids: []) }

    public var count: Int { ids.count }

    mutating func append(_ other: Encoding) {
        ids += other.ids
        typeIDs += other.typeIDs
        specialTokensMask += other.specialTokensMask
        attentionMask += other.attentionMask
        offsets += other.offsets
    }

    mutating func appendSpecial(_ specialIDs: [Int], typeID: Int) {
        ids += specialIDs
        typeIDs += Array(repeating: typeID, count: specialIDs.count)
        specialTokensMask += Array(repeating: 1, count: specialIDs.count)
        attentionMask += Array(repeating: 1, count: specialIDs.count)
        offsets += Array(repeating: 0..<0, count: specialIDs.count)
    }

    static func slice(_ e: Encoding, _ range: Range<Int>) -> Encoding {
        var result = Encoding()
        result.ids = Array(e.ids[range])
        result.typeIDs = Array(e.typeIDs[range])
        result.specialTokensMask = Array(e.specialTokensMask[range])
        result.attentionMask = Array(e.attentionMask[range])
        result.offsets = Array(e.offsets[range])
        return result
    }

    /// Adds padding up to `length` (no-op when already as long).
    public mutating func pad(to length: Int, id: Int, typeID: Int, left: Bool) {
        let n = length - count
        guard n > 0 else { return }
        func extend(_ array: inout [Int], _ value: Int) {
            if left { array.insert(contentsOf: repeatElement(value, count: n), at: 0) } else { array.append(contentsOf: repeatElement(value, count: n)) }
        }
        extend(&ids, id)
        extend(&typeIDs, typeID)
        extend(&specialTokensMask, 1)
        extend(&attentionMask, 0)
        if left { offsets.insert(contentsOf: repeatElement(0..<0, count: n), at: 0) } else { offsets.append(contentsOf: repeatElement(0..<0, count: n)) }
    }

    mutating func setTypeID(_ typeID: Int) { typeIDs = Array(repeating: typeID, count: ids.count) }
}
