/// One batch of B sequences of T tokens, row-major (B, T), padded on the right.
public struct BertBatch: Sendable {
    public var B: Int
    public var T: Int
    public var ids: [Int32]          // (B, T)
    public var types: [Int32]        // (B, T), token type ids (0 for single sentences)
    public var mask: [Int32]         // (B, T), 1 for real tokens, 0 for padding
    public var labels: [Int32]       // (B) class ids, -100 to ignore; empty without a loss

    public init(B: Int, T: Int, ids: [Int32], types: [Int32]? = nil, mask: [Int32]? = nil, labels: [Int32] = []) {
        precondition(ids.count == B * T, "BertBatch: \(ids.count) ids for (\(B), \(T))")
        self.B = B
        self.T = T
        self.ids = ids
        self.types = types ?? [Int32](repeating: 0, count: B * T)
        self.mask = mask ?? [Int32](repeating: 1, count: B * T)
        self.labels = labels
        precondition(self.types.count == B * T && self.mask.count == B * T, "BertBatch: types or mask do not match (B, T)")
        precondition(labels.isEmpty || labels.count == B, "BertBatch: \(labels.count) labels for \(B) rows")
    }
}

/// Why a batch cannot run on a model.
public enum BatchError: Error, CustomStringConvertible, Equatable, Sendable {
    case tooLarge(B: Int, T: Int, maxB: Int, maxT: Int)
    case tokenOutOfRange(index: Int, id: Int32, vocabulary: Int)
    case typeOutOfRange(index: Int, type: Int32, types: Int)
    case labelOutOfRange(index: Int, label: Int32, labels: Int)
    case noLabels

    public var description: String {
        switch self {
        case .tooLarge(let B, let T, let maxB, let maxT): "batch (\(B), \(T)) exceeds the model's (\(maxB), \(maxT))"
        case .tokenOutOfRange(let index, let id, let vocabulary): "token \(index) has id \(id) outside 0..<\(vocabulary)"
        case .typeOutOfRange(let index, let type, let types): "token \(index) has type \(type) outside 0..<\(types)"
        case .labelOutOfRange(let index, let label, let labels): "row \(index) has label \(label) outside 0..<\(labels)"
        case .noLabels: "the batch has no labels or the model no classification head"
        }
    }
}
