import Platform
import Tensor

/// A BERT encoder with its pooler and, when the config has labels, a sequence-classification
/// head (BertForSequenceClassification), over one arena per role. The activations are sized
/// for (maxB, maxT) at creation; larger batches are refused.
///
/// Training: `zeroGradients()`, `forward(batch)`, `backward()`, then an optimizer step over
/// `params` and `grads` (`TrainedParameters`, which the trainer keeps). Dropout is on while
/// `training` is true and is reproducible from `seed` and `step`.
public final class Bert: @unchecked Sendable {
    public let config: BertConfig
    public let maxB: Int
    public let maxT: Int
    public let params: Arena
    public private(set) var parameters: BertParameters
    public let grads: Arena?
    public private(set) var gradients: BertParameters?
    let acts: BertActivations
    var dacts: BertActivationGrads?
    public var training = false
    public var seed: UInt64 = 0
    /// The optimizer step dropout masks follow (the trainer sets it to AdamW's update count).
    public var step = 0
    /// A data-parallel rank's own dropout stream (0 in one process; `MicroBatch.stream`).
    public var dropoutStream = 0
    /// The batch of the last forward pass.
    public internal(set) var batch: BertBatch?
    /// Where the last forward pass's rows sit (the real tokens alone when padding-free).
    var rows: PackedRows?
    /// The linear layers, LayerNorms, GELU and dropout run on a batch's real tokens alone, not
    /// its padding (`PackedRows`): the same values for the real tokens, less work on a batch of
    /// mixed lengths. Off, every row of the padded (B, T) layout is computed.
    public var paddingFree = true
    /// The padded layout of a padding-free batch (`PackedRows`) for the embeddings and
    /// attention: Q|K|V then the attention output (forward), dQ|dK|dV then the output's
    /// gradient (backward); grown to the largest batch that needed it.
    private var paddedArena: Arena?

    /// `paddedArena` with room for `count` floats.
    func paddedScratch(_ count: Int) -> UnsafeMutablePointer<Float> {
        if (paddedArena?.count ?? 0) < count { paddedArena = Arena(count: count) }
        return paddedArena!.pointer
    }

    /// The encoder's linear weights packed for inference (`packForInference`), by layer.
    var packed: [(qkv: PackedLinear, attproj: PackedLinear, fc: PackedLinear, fcproj: PackedLinear)]?
    /// Mean loss of the last forward pass with labels.
    public internal(set) var loss: Float = 0
    /// LoRA adapters on the encoder's linear layers, applied in forward and trained in backward.
    public var lora: LoRA?
    /// Prefix tuning: keys and values every layer's attention sees before the tokens, whose
    /// positions then start after them; trained in backward. At most `prefixSlots` of them.
    public var prefix: PrefixTuning?
    public let prefixSlots: Int
    /// The prefix's table for the last forward pass, kept for backward.
    var prefixPass: PrefixPass?
    /// Only the first token's row goes through the last layer (after its Q/K/V projection and
    /// its keys and values): all the pooler, and so the classification head, reads. About 1/L
    /// of the encoder's work saved in classification training and prediction; `hiddenState`
    /// then holds only the first token of each sequence (B rows, not B·T) and there are no
    /// sentence embeddings. Logits, loss and gradients are those of the whole computation.
    public var firstTokenOnly = false
    /// The base weights are frozen (LoRA): backward computes gradients for the classification
    /// head only, besides the adapters'; nothing below the first layer.
    public let frozen: Bool

    /// `trainable` allocates gradients and the activations backward needs; an inference model
    /// holds only its parameters and activations. `frozen` (with `trainable`): only the head
    /// trains, beside LoRA adapters. `prefixSlots`: room for a prefix of up to that many slots.
    public init(config: BertConfig, maxB: Int, maxT: Int, trainable: Bool, frozen: Bool = false, prefixSlots: Int = 0) {
        precondition(maxB >= 1 && maxT >= 1 && prefixSlots + maxT <= config.maxPositions, "Bert: (B, T) must fit the position table")
        self.prefixSlots = prefixSlots
        self.config = config
        self.maxB = maxB
        self.maxT = maxT
        self.frozen = frozen
        let count = BertParameters.count(config)
        params = Arena(count: count)
        parameters = BertParameters(arena: params, config: config)
        if trainable {
            let g = Arena(count: count)
            grads = g
            gradients = BertParameters(arena: g, config: config)
            dacts = BertActivationGrads(config: config, B: maxB, T: maxT, P: prefixSlots)
        } else {
            (grads, gradients, dacts) = (nil, nil, nil)
        }
        acts = BertActivations(config: config, B: maxB, T: maxT, P: prefixSlots, stacked: trainable)
    }

    /// Packs the encoder's linear weights once (`PackedLinear`) for the forward passes of an
    /// inference model whose weights are final (LoRA merged in): a request's few rows then stop
    /// paying OpenBLAS's packing on every call. The packed copy is `packedCount` more floats.
    public func packForInference() {
        precondition(grads == nil, "Bert: only an inference model packs its weights")
        // BlockGemm's tiles need fused multiply-add; without it (ANNEAL_TARGET_CPU=x86-64) OpenBLAS stays faster.
        #if !(ANNEAL_FMA || arch(arm64))
        return
        #endif
        let c = config, C = c.hiddenSize, FF = c.intermediateSize, p = parameters
        guard [3 * C, C, FF].allSatisfy(PackedLinear.packs(OC:)) else { return }
        packed = (0..<c.numLayers).map { l in
            (PackedLinear(weight: p.qkvw.pointer + l * 3 * C * C, OC: 3 * C, C: C),
             PackedLinear(weight: p.attprojw.pointer + l * C * C, OC: C, C: C),
             PackedLinear(weight: p.fcw.pointer + l * FF * C, OC: FF, C: C),
             PackedLinear(weight: p.fcprojw.pointer + l * C * FF, OC: C, C: FF))
        }
    }

    /// Floats the packed weights hold (0 unpacked).
    public var packedCount: Int { packed?.reduce(0) { $0 + $1.qkv.count + $1.attproj.count + $1.fc.count + $1.fcproj.count } ?? 0 }

    /// A linear layer of the encoder: through its packed weight when there is one, else OpenBLAS.
    @inline(__always)
    func dense(_ packed: PackedLinear?, out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
               bias: UnsafePointer<Float>?, N: Int, C: Int, OC: Int) {
        if let packed { packed.forward(out: out, inp: inp, bias: bias, N: N) } else {
            Matmul.forward(out: out, inp: inp, weight: weight, bias: bias, N: N, C: C, OC: OC)
        }
    }

    /// Initialises the classification head as HF does: weights normal(0, initializer_range)
    /// from a Box–Muller stream seeded `seed`, zero bias.
    public func initializeHead(seed: UInt64) {
        let w = parameters.clsw
        var random = SplitMix.Generator(seed: seed)
        for i in 0..<w.count { w.pointer[i] = Float(random.normal()) * config.initializerRange }
        parameters.clsb.zero()
    }

    public func zeroGradients() {
        guard let gradients, frozen else { grads?.zero(); return }
        gradients.clsw.zero()
        gradients.clsb.zero()
    }

    /// The seed of dropout site `site` (0: embeddings, then 3 per layer, then the classifier) at
    /// optimizer step `step`.
    func dropoutSeed(_ site: Int) -> UInt64 {
        let base = SplitMix.hash(seed: seed, index: step &* 4096 &+ site)
        return dropoutStream == 0 ? base : SplitMix.hash(seed: base, index: dropoutStream)
    }

    /// AdamW's groups over `params`: matrices take weight decay; biases and LayerNorm weights do not.
    public var parameterGroups: [(range: Range<Int>, decay: Bool)] { BertParameters.groups(config) }

    /// The classification head's weight (NL, C) and bias (NL), and their gradients, read from
    /// and written to elsewhere: a LoRA classifier's head lives in its adapter's arenas (PEFT's
    /// `modules_to_save`), so the optimizer updates the one copy the model computes with.
    func bindHead(weight: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>,
                         dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>) {
        parameters.clsw = TensorSlice(pointer: weight, offset: parameters.clsw.offset, shape: parameters.clsw.shape)
        parameters.clsb = TensorSlice(pointer: bias, offset: parameters.clsb.offset, shape: parameters.clsb.shape)
        if var g = gradients {
            g.clsw = TensorSlice(pointer: dweight, offset: g.clsw.offset, shape: g.clsw.shape)
            g.clsb = TensorSlice(pointer: dbias, offset: g.clsb.offset, shape: g.clsb.shape)
            gradients = g
        }
    }

    func check(_ batch: BertBatch) throws(BatchError) {
        guard batch.B <= maxB, batch.T <= maxT else { throw .tooLarge(B: batch.B, T: batch.T, maxB: maxB, maxT: maxT) }
        for (i, id) in batch.ids.enumerated() where id < 0 || Int(id) >= config.vocabSize {
            throw .tokenOutOfRange(index: i, id: id, vocabulary: config.vocabSize)
        }
        for (i, type) in batch.types.enumerated() where type < 0 || Int(type) >= config.typeVocabSize {
            throw .typeOutOfRange(index: i, type: type, types: config.typeVocabSize)
        }
        for (i, label) in batch.labels.enumerated() where label != -100 && (label < 0 || Int(label) >= config.numLabels) {
            throw .labelOutOfRange(index: i, label: label, labels: config.numLabels)
        }
    }

    /// The last hidden state (B, T, C) of the last forward pass ((B, 1, C) with `firstTokenOnly`);
    /// padding rows are zero when the pass was padding-free.
    public var hiddenState: [Float] {
        let b = batch!, rows = rows!, C = config.hiddenSize
        let last = acts.ln2 + (config.numLayers - 1) * acts.layerStep * rows.count * C
        guard !firstTokenOnly, let padded = rows.padded else {
            return Array(UnsafeBufferPointer(start: last, count: (firstTokenOnly ? b.B : rows.count) * C))
        }
        var state = [Float](repeating: 0, count: b.B * b.T * C)
        for (r, row) in padded.enumerated() {
            for c in 0..<C { state[row * C + c] = last[r * C + c] }
        }
        return state
    }

    public var pooled: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: acts.pooled, count: batch!.B * config.hiddenSize) }
    public var sentenceEmbeddings: UnsafeBufferPointer<Float> {
        precondition(!firstTokenOnly, "Bert: no sentence embeddings with firstTokenOnly")
        return UnsafeBufferPointer(start: acts.sentence, count: batch!.B * config.hiddenSize)
    }
    public var logits: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: acts.logits, count: batch!.B * config.numLabels) }
}
