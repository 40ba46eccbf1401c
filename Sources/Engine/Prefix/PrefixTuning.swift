import JSON
import Platform
import Tensor

/// Prefix-tuning settings, with PEFT's names (`PrefixTuningConfig`): `num_virtual_tokens` P,
/// `prefix_projection` (train an embedding through a two-layer tanh MLP instead of the table
/// itself) and `encoder_hidden_size` (that MLP's width; the key/value width when not given).
public struct PrefixConfig: Sendable, Equatable {
    public var virtualTokens: Int
    public var projection: Bool
    public var encoderHiddenSize: Int?

    public init(virtualTokens: Int, projection: Bool = false, encoderHiddenSize: Int? = nil) {
        (self.virtualTokens, self.projection, self.encoderHiddenSize) = (virtualTokens, projection, encoderHiddenSize)
    }
}

/// What a model's attention gives a prefix: L layers, each with keys and values of `width`
/// floats per slot (the key/value heads side by side: fewer than the query heads with
/// grouped-query attention), and PEFT's names for the export.
public struct PrefixLayout: Sendable, Equatable {
    public let layers: Int, width: Int, heads: Int
    /// PEFT's `task_type`: CAUSAL_LM, or SEQ_CLS for a classifier.
    public let taskType: String

    public init(layers: Int, width: Int, heads: Int, taskType: String = "CAUSAL_LM") {
        (self.layers, self.width, self.heads, self.taskType) = (layers, width, heads, taskType)
    }

    /// One slot's floats over all layers: keys then values per layer, PEFT's column order.
    public var rowWidth: Int { layers * 2 * width }
}

/// Prefix tuning (Li and Liang 2021) as PEFT computes it: a table (P, L·2·D) of keys and
/// values that every layer's attention sees before the sequence (`AttentionPrefix`); column
/// ((l·2 + s)·heads + h)·hd + d is layer l's key (s 0) or value (s 1). The base stays frozen;
/// only the table trains (or, with `projection`, an embedding (P, D) and the MLP
/// D → H → L·2·D that makes the table from it). Initialised as PEFT's: the embedding normal(0, 1),
/// the MLP's linear layers uniform in ±1/√in. `saved`: whole tensors trained beside it (a
/// classifier head, PEFT's `modules_to_save`), after it in the arena.
public final class PrefixTuning: @unchecked Sendable {
    public let config: PrefixConfig
    public let layout: PrefixLayout
    public let trained: TrainedParameters
    public var params: Arena { trained.params }
    public var grads: Arena { trained.grads }
    public let savedTensors: [(name: String, shape: [Int], decay: Bool)]
    let savedOffsets: [String: Int]

    public var virtualTokens: Int { config.virtualTokens }
    /// The projection's width H.
    public var hidden: Int { config.encoderHiddenSize ?? layout.width }

    /// `random`: false leaves the parameters zero, for weights restored from a checkpoint.
    public init(layout: PrefixLayout, config: PrefixConfig, seed: UInt64 = 0, weightDecay: Double = 0, trainable: Bool = true,
                saved: [(name: String, shape: [Int], decay: Bool)] = [], random: Bool = true) {
        (self.layout, self.config) = (layout, config)
        let P = config.virtualTokens, D = layout.width, H = config.encoderHiddenSize ?? D, R = layout.rowWidth
        let groups: [(range: Range<Int>, decay: Bool)]
        if config.projection {
            // embedding (P, D) | W1 (H, D) | b1 (H) | W2 (R, H) | b2 (R)
            let sizes = [(P * D, true), (H * D, true), (H, false), (R * H, true), (R, false)]
            var start = 0
            groups = sizes.map { size, decay in defer { start += size }; return (start..<(start + size), decay) }
        } else {
            groups = [(0..<(P * R), true)]
        }
        let arena = withSavedTensors(groups, saved)
        (savedTensors, savedOffsets) = (saved, arena.offsets)
        trained = TrainedParameters(params: Arena(count: arena.total), groups: arena.groups, weightDecay: weightDecay, trainable: trainable)
        guard random else { return }
        var random = SplitMix.Generator(seed: seed)
        for i in groups[0].range { params.pointer[i] = Float(random.normal()) }
        if config.projection {
            for (group, fanIn) in zip(groups[1..<5], [D, D, H, H]) {
                let bound = 1 / Double(fanIn).squareRoot()
                for i in group.range { params.pointer[i] = Float((random.uniform() * 2 - 1) * bound) }
            }
        }
    }

    /// The saved tensor `name` in `arena` (the parameters by default).
    public func saved(_ name: String, in arena: Arena? = nil) -> UnsafeMutablePointer<Float>? {
        savedOffsets[name].map { (arena ?? params).pointer + $0 }
    }

    /// Writes the keys and values into a decoding cache laid out (L, capacity, D): each
    /// layer's first P slots, where a session's tokens follow.
    public func fill(keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>, capacity: Int) {
        let table = pass(), D = layout.width
        defer { withExtendedLifetime(table) {} }  // its pointers are read after its last use
        for l in 0..<layout.layers {
            let step = table.attention(layer: l)
            for slot in 0..<virtualTokens {
                (keys + (l * capacity + slot) * D).update(from: step.keys + slot * step.stride, count: D)
                (values + (l * capacity + slot) * D).update(from: step.values + slot * step.stride, count: D)
            }
        }
    }

    /// This prefix as inference uses it (PEFT's inference mode): the table alone, made once
    /// through the projection, with the saved tensors; itself when it has no projection.
    public func inferenceTable() -> PrefixTuning {
        guard config.projection else { return self }
        let plain = PrefixTuning(layout: layout, config: PrefixConfig(virtualTokens: virtualTokens), trainable: false,
                                 saved: savedTensors, random: false)
        let table = pass()
        withExtendedLifetime(table) { plain.params.pointer.update(from: table.table, count: virtualTokens * layout.rowWidth) }
        for (name, shape, _) in savedTensors { plain.saved(name)!.update(from: saved(name)!, count: shape.reduce(1, *)) }
        return plain
    }

    /// The table for one forward pass (and its backward when `training`): see `PrefixPass`.
    public func pass(training: Bool = false) -> PrefixPass { PrefixPass(self, training: training) }
}

/// One pass's prefix table (P, L·2·D) and, in training, its gradient. Without projection both
/// are the trained arenas themselves; with it the table is computed here and `finish` carries
/// its gradient back through the MLP into the trained parameters. Its pointers live as long as
/// it does: keep it until the pass ends.
public final class PrefixPass {
    let prefix: PrefixTuning
    public let table: UnsafeMutablePointer<Float>, dtable: UnsafeMutablePointer<Float>?
    let activations: UnsafeMutablePointer<Float>?  // tanh(e·W1ᵀ + b1), (P, H), with projection

    init(_ prefix: PrefixTuning, training: Bool) {
        self.prefix = prefix
        let P = prefix.virtualTokens, D = prefix.layout.width, H = prefix.hidden, R = prefix.layout.rowWidth
        precondition(!training || prefix.grads.count == prefix.params.count, "PrefixTuning: made with trainable: false")
        guard prefix.config.projection else {
            (table, dtable, activations) = (prefix.params.pointer, training ? prefix.grads.pointer : nil, nil)
            return
        }
        let p = prefix.params.pointer, w1 = p + P * D, b1 = w1 + H * D, w2 = b1 + H, b2 = w2 + R * H
        let table = UnsafeMutablePointer<Float>.allocate(capacity: P * R), a = UnsafeMutablePointer<Float>.allocate(capacity: P * H)
        Matmul.forward(out: a, inp: p, weight: w1, bias: b1, N: P, C: D, OC: H)
        for i in 0..<(P * H) { a[i] = Math.tanh(a[i]) }
        Matmul.forward(out: table, inp: a, weight: w2, bias: b2, N: P, C: H, OC: R)
        (self.table, self.activations) = (table, a)
        dtable = training ? UnsafeMutablePointer<Float>.allocate(capacity: P * R) : nil
        dtable?.initialize(repeating: 0, count: P * R)
    }

    deinit {
        guard prefix.config.projection else { return }
        table.deallocate(); activations?.deallocate(); dtable?.deallocate()
    }

    /// Layer `l`'s keys and values as the attention op takes them, query heads `group` to a
    /// key/value head.
    public func attention(layer l: Int, group: Int = 1) -> AttentionPrefix {
        let D = prefix.layout.width, R = prefix.layout.rowWidth, offset = l * 2 * D
        return AttentionPrefix(keys: table + offset, values: table + offset + D, dkeys: dtable.map { $0 + offset },
                               dvalues: dtable.map { $0 + offset + D }, count: prefix.virtualTokens, stride: R, group: group)
    }

    /// After backward: with projection, the table's gradient through the MLP into the trained
    /// embedding and layers (accumulated); without, nothing is left to do.
    public func finish() {
        guard prefix.config.projection, let dtable, let a = activations else { return }
        let P = prefix.virtualTokens, D = prefix.layout.width, H = prefix.hidden, R = prefix.layout.rowWidth
        let p = prefix.params.pointer, w1 = p + P * D, w2 = w1 + H * D + H
        let g = prefix.grads.pointer, dw1 = g + P * D, db1 = dw1 + H * D, dw2 = db1 + H, db2 = dw2 + R * H
        let da = UnsafeMutablePointer<Float>.allocate(capacity: P * H)
        defer { da.deallocate() }
        da.initialize(repeating: 0, count: P * H)
        Matmul.backward(dinp: da, dweight: dw2, dbias: db2, dout: dtable, inp: a, weight: w2, N: P, C: H, OC: R)
        for i in 0..<(P * H) { da[i] *= 1 - a[i] * a[i] }
        Matmul.backward(dinp: g, dweight: dw1, dbias: db1, dout: da, inp: p, weight: w1, N: P, C: D, OC: H)
    }
}
