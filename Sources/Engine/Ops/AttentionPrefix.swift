/// Keys and values every query of an attention op sees before the sequence's own (prefix
/// tuning): P slots shared by all rows of the batch, never masked and never rotated.
/// `keys` and `values`: P rows `stride` floats apart, each with the key/value heads side by
/// side (head g at g·hs); query head h reads head h / `group` (grouped-query attention).
/// `dkeys` and `dvalues` (same layout) accumulate their gradients in backward.
public struct AttentionPrefix {
    public let keys: UnsafePointer<Float>, values: UnsafePointer<Float>
    public let dkeys: UnsafeMutablePointer<Float>?, dvalues: UnsafeMutablePointer<Float>?
    public let count: Int, stride: Int, group: Int

    public init(keys: UnsafePointer<Float>, values: UnsafePointer<Float>, dkeys: UnsafeMutablePointer<Float>? = nil,
                dvalues: UnsafeMutablePointer<Float>? = nil, count: Int, stride: Int, group: Int = 1) {
        (self.keys, self.values, self.dkeys, self.dvalues) = (keys, values, dkeys, dvalues)
        (self.count, self.stride, self.group) = (count, stride, group)
    }

    /// Slots before the sequence's keys: 0 without a prefix.
    static func count(_ prefix: AttentionPrefix?) -> Int { prefix?.count ?? 0 }
}
