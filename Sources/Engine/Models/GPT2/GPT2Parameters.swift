import JSON
import Platform
import Tensor

/// GPT-2's parameters as slices of one arena, llm.c's layout: linear weights as (out, in) —
/// Hugging Face's Conv1D keeps (in, out), so they are transposed on load. C: hidden, L: layers,
/// FF: inner size, V: vocabulary, P: positions. The output projection reads `wte` (tied).
public struct GPT2Parameters: @unchecked Sendable {
    public var wte: TensorSlice      // (V, C)
    public var wpe: TensorSlice      // (P, C)
    public var ln1w: TensorSlice     // (L, C)
    public var ln1b: TensorSlice     // (L, C)
    public var qkvw: TensorSlice     // (L, 3C, C)
    public var qkvb: TensorSlice     // (L, 3C)
    public var attprojw: TensorSlice // (L, C, C)
    public var attprojb: TensorSlice // (L, C)
    public var ln2w: TensorSlice     // (L, C)
    public var ln2b: TensorSlice     // (L, C)
    public var fcw: TensorSlice      // (L, FF, C)
    public var fcb: TensorSlice      // (L, FF)
    public var fcprojw: TensorSlice  // (L, C, FF)
    public var fcprojb: TensorSlice  // (L, C)
    public var lnfw: TensorSlice     // (C)
    public var lnfb: TensorSlice     // (C)

    /// (Hugging Face name with `#` for the layer, shape, transposed from Conv1D) in arena order.
    static func layout(_ c: GPT2Config) -> [(name: String, shape: [Int], conv1D: Bool)] {
        let V = c.vocabSize, C = c.hiddenSize, L = c.numLayers, FF = c.innerSize, P = c.maxPositions
        return [
            ("wte.weight", [V, C], false), ("wpe.weight", [P, C], false),
            ("h.#.ln_1.weight", [L, C], false), ("h.#.ln_1.bias", [L, C], false),
            ("h.#.attn.c_attn.weight", [L, 3 * C, C], true), ("h.#.attn.c_attn.bias", [L, 3 * C], false),
            ("h.#.attn.c_proj.weight", [L, C, C], true), ("h.#.attn.c_proj.bias", [L, C], false),
            ("h.#.ln_2.weight", [L, C], false), ("h.#.ln_2.bias", [L, C], false),
            ("h.#.mlp.c_fc.weight", [L, FF, C], true), ("h.#.mlp.c_fc.bias", [L, FF], false),
            ("h.#.mlp.c_proj.weight", [L, C, FF], true), ("h.#.mlp.c_proj.bias", [L, C], false),
            ("ln_f.weight", [C], false), ("ln_f.bias", [C], false),
        ]
    }

    public static func count(_ config: GPT2Config) -> Int {
        layout(config).reduce(0) { $0 + $1.shape.reduce(1, *) }
    }

    init(arena: Arena, config: GPT2Config) {
        let s = arena.slices(Self.layout(config).map(\.shape))
        (wte, wpe, ln1w, ln1b, qkvw, qkvb, attprojw, attprojb) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7])
        (ln2w, ln2b, fcw, fcb, fcprojw, fcprojb, lnfw, lnfb) = (s[8], s[9], s[10], s[11], s[12], s[13], s[14], s[15])
    }

    var all: [TensorSlice] { [wte, wpe, ln1w, ln1b, qkvw, qkvb, attprojw, attprojb, ln2w, ln2b, fcw, fcb, fcprojw, fcprojb, lnfw, lnfb] }

    /// Fills every parameter from a Hugging Face `model.safetensors`, whose names may carry
    /// GPT2LMHeadModel's `transformer.` prefix or not (the original `gpt2` files do not). The
    /// tied `lm_head.weight` and the old causal-mask buffers are skipped; any other unknown,
    /// missing or wrongly shaped tensor is an error naming it. `prefix` overrides the names'
    /// stem, and `strict: false` ignores other tensors (fixtures holding gradients).
    func load(_ file: SafeTensors, config: GPT2Config, prefix: String? = nil, strict: Bool = true) throws(CheckpointError) {
        let prefix = prefix ?? (file["transformer.wte.weight"] != nil ? "transformer." : "")
        var known: Set<String> = ["lm_head.weight"]
        for ((pattern, shape, conv1D), slice) in zip(Self.layout(config), all) {
            let stacked = pattern.contains("#")
            let inner = stacked ? Array(shape.dropFirst()) : shape
            let stored = conv1D ? Array(inner.reversed()) : inner
            for layer in 0..<(stacked ? config.numLayers : 1) {
                let name = prefix + pattern.replacing("#", with: String(layer))
                known.insert(name)
                guard let entry = file[name] else { throw .missingKey(name) }
                guard entry.shape == stored else { throw .wrongShape(key: name, expected: stored, found: entry.shape) }
                let count = inner.reduce(1, *), destination = slice.pointer + (stacked ? layer * count : 0)
                if conv1D {
                    let floats = try file.floats(name), (rows, columns) = (stored[0], stored[1])
                    for r in 0..<rows { for c in 0..<columns { destination[c * rows + r] = floats[r * columns + c] } }
                } else {
                    try file.read(name, into: destination)
                }
            }
        }
        let buffer = { (name: String) in name.hasSuffix(".attn.bias") || name.hasSuffix(".attn.masked_bias") }
        if strict, let extra = file.entries.map(\.name).first(where: { !known.contains($0) && !buffer($0) }) { throw .unexpectedKey(extra) }
    }
}
