import Tensor

/// BERT's parameters as slices of one arena. Q, K and V are stored fused, (3C, C) per layer,
/// so one GEMM projects all three; the name table maps HF's separate keys onto their rows.
/// V: vocabulary, maxT: positions, TT: token types, C: channels, L: layers, FF: intermediate,
/// NL: labels (0 without a classification head).
public struct BertParameters: @unchecked Sendable {
    public var wte: TensorSlice       // (V, C)
    public var wpe: TensorSlice       // (maxT, C)
    public var wtt: TensorSlice       // (TT, C)
    public var embLNw: TensorSlice    // (C)
    public var embLNb: TensorSlice    // (C)
    public var qkvw: TensorSlice      // (L, 3C, C)
    public var qkvb: TensorSlice      // (L, 3C)
    public var attprojw: TensorSlice  // (L, C, C)
    public var attprojb: TensorSlice  // (L, C)
    public var ln1w: TensorSlice      // (L, C)
    public var ln1b: TensorSlice      // (L, C)
    public var fcw: TensorSlice       // (L, FF, C)
    public var fcb: TensorSlice       // (L, FF)
    public var fcprojw: TensorSlice   // (L, C, FF)
    public var fcprojb: TensorSlice   // (L, C)
    public var ln2w: TensorSlice      // (L, C)
    public var ln2b: TensorSlice      // (L, C)
    public var poolw: TensorSlice     // (C, C)
    public var poolb: TensorSlice     // (C)
    public var clsw: TensorSlice      // (NL, C)
    public var clsb: TensorSlice      // (NL)

    /// (name, shape) in arena order; `decay` is false for biases and LayerNorm weights (HF's
    /// default no-decay set), which AdamW then leaves out of weight decay.
    public static func layout(_ c: BertConfig) -> [(name: String, shape: [Int], decay: Bool)] {
        let V = c.vocabSize, maxT = c.maxPositions, TT = c.typeVocabSize, C = c.hiddenSize
        let L = c.numLayers, FF = c.intermediateSize, NL = c.numLabels
        return [
            ("wte", [V, C], true), ("wpe", [maxT, C], true), ("wtt", [TT, C], true),
            ("embLNw", [C], false), ("embLNb", [C], false),
            ("qkvw", [L, 3 * C, C], true), ("qkvb", [L, 3 * C], false),
            ("attprojw", [L, C, C], true), ("attprojb", [L, C], false),
            ("ln1w", [L, C], false), ("ln1b", [L, C], false),
            ("fcw", [L, FF, C], true), ("fcb", [L, FF], false),
            ("fcprojw", [L, C, FF], true), ("fcprojb", [L, C], false),
            ("ln2w", [L, C], false), ("ln2b", [L, C], false),
            ("poolw", [C, C], true), ("poolb", [C], false),
            ("clsw", [NL, C], true), ("clsb", [NL], false),
        ]
    }

    public static func count(_ config: BertConfig) -> Int {
        layout(config).reduce(0) { $0 + $1.shape.reduce(1, *) }
    }

    /// The slices of `arena` (parameters, gradients or a moment: all share the layout).
    public init(arena: Arena, config: BertConfig) {
        let slices = arena.slices(Self.layout(config).map(\.shape))
        (wte, wpe, wtt, embLNw, embLNb) = (slices[0], slices[1], slices[2], slices[3], slices[4])
        (qkvw, qkvb, attprojw, attprojb, ln1w, ln1b) = (slices[5], slices[6], slices[7], slices[8], slices[9], slices[10])
        (fcw, fcb, fcprojw, fcprojb, ln2w, ln2b) = (slices[11], slices[12], slices[13], slices[14], slices[15], slices[16])
        (poolw, poolb, clsw, clsb) = (slices[17], slices[18], slices[19], slices[20])
    }

    /// AdamW groups: each tensor's float range and whether it decays.
    public static func groups(_ config: BertConfig) -> [(range: Range<Int>, decay: Bool)] {
        var offset = 0
        return layout(config).map { _, shape, decay in
            let n = shape.reduce(1, *)
            defer { offset += n }
            return (offset..<(offset + n), decay)
        }
    }
}
