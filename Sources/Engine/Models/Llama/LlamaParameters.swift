import GGUF
import Tensor

/// Llama's parameters as slices of one arena, in PyTorch's (out, in) layout and Hugging Face's
/// rotate-half order for the Q and K rows. C: hidden, KV: key/value width (numKVHeads · hs),
/// L: layers, FF: intermediate, V: vocabulary. With tied embeddings `lmHead` is empty and the
/// output projection reads `wte`.
public struct LlamaParameters: @unchecked Sendable {
    public var wte: TensorSlice       // (V, C)
    public var attnNorm: TensorSlice  // (L, C)
    public var wq: TensorSlice        // (L, C, C)
    public var wk: TensorSlice        // (L, KV, C)
    public var wv: TensorSlice        // (L, KV, C)
    public var wo: TensorSlice        // (L, C, C)
    public var ffnNorm: TensorSlice   // (L, C)
    public var wGate: TensorSlice     // (L, FF, C)
    public var wUp: TensorSlice       // (L, FF, C)
    public var wDown: TensorSlice     // (L, C, FF)
    public var finalNorm: TensorSlice // (C)
    public var lmHead: TensorSlice    // (V, C), or empty when tied

    /// (name, shape, GGUF name with `#` for the layer) in arena order.
    static func layout(_ c: LlamaConfig) -> [(name: String, shape: [Int], gguf: String)] {
        let V = c.vocabSize, C = c.hiddenSize, KV = c.kvSize, L = c.numLayers, FF = c.intermediateSize
        return [
            ("wte", [V, C], "token_embd.weight"), ("attnNorm", [L, C], "blk.#.attn_norm.weight"),
            ("wq", [L, C, C], "blk.#.attn_q.weight"), ("wk", [L, KV, C], "blk.#.attn_k.weight"),
            ("wv", [L, KV, C], "blk.#.attn_v.weight"), ("wo", [L, C, C], "blk.#.attn_output.weight"),
            ("ffnNorm", [L, C], "blk.#.ffn_norm.weight"), ("wGate", [L, FF, C], "blk.#.ffn_gate.weight"),
            ("wUp", [L, FF, C], "blk.#.ffn_up.weight"), ("wDown", [L, C, FF], "blk.#.ffn_down.weight"),
            ("finalNorm", [C], "output_norm.weight"), ("lmHead", c.tiedEmbeddings ? [0, C] : [V, C], "output.weight"),
        ]
    }

    public static func count(_ config: LlamaConfig) -> Int {
        layout(config).reduce(0) { $0 + $1.shape.reduce(1, *) }
    }

    init(arena: Arena, config: LlamaConfig) {
        let slices = arena.slices(Self.layout(config).map(\.shape))
        (wte, attnNorm, wq, wk, wv, wo) = (slices[0], slices[1], slices[2], slices[3], slices[4], slices[5])
        (ffnNorm, wGate, wUp, wDown, finalNorm, lmHead) = (slices[6], slices[7], slices[8], slices[9], slices[10], slices[11])
    }

    /// Fills every parameter from a GGUF file (`bytes`: the whole file), dequantizing and undoing
    /// llama.cpp's Q/K row permutation (it interleaves each head's two rotary halves; HF keeps
    /// them as halves). A missing tensor or a wrong shape names the tensor.
    func load(gguf header: GGUFFile, bytes: UnsafeRawBufferPointer, config: LlamaConfig) throws(CheckpointError) {
        var tensors: [String: GGUFTensorInfo] = [:]
        for tensor in header.tensors { tensors[tensor.name] = tensor }
        let slices = [wte, attnNorm, wq, wk, wv, wo, ffnNorm, wGate, wUp, wDown, finalNorm, lmHead]
        for ((_, shape, pattern), slice) in zip(Self.layout(config), slices) where slice.count > 0 {
            let stacked = pattern.contains("#")
            for layer in 0..<(stacked ? config.numLayers : 1) {
                let name = pattern.replacing("#", with: String(layer))
                guard let info = tensors[name] else { throw CheckpointError.missingKey(name) }
                let expected = Array((stacked ? Array(shape.dropFirst()) : shape).reversed())
                guard info.dimensions == expected else { throw CheckpointError.wrongShape(key: name, expected: expected, found: info.dimensions) }
                var floats: [Float]
                do { floats = try header.floats(info, in: bytes) } catch {
                    throw CheckpointError.unsupportedDType(key: name, dtype: error.reason)
                }
                if pattern.hasSuffix("attn_q.weight") || pattern.hasSuffix("attn_k.weight") {
                    floats = Self.unpermute(floats, heads: pattern.hasSuffix("attn_q.weight") ? config.numHeads : config.numKVHeads,
                                            hs: config.headSize, columns: config.hiddenSize)
                }
                let destination = stacked ? slice.pointer + layer * floats.count : slice.pointer
                floats.withUnsafeBufferPointer { destination.update(from: $0.baseAddress!, count: $0.count) }
            }
        }
    }

    /// Row h·hs + 2i + j of llama.cpp's layout is row h·hs + j·hs/2 + i of Hugging Face's.
    static func unpermute(_ rows: [Float], heads: Int, hs: Int, columns: Int) -> [Float] {
        var out = rows
        let half = hs / 2
        for h in 0..<heads {
            for i in 0..<half {
                for j in 0..<2 {
                    let from = (h * hs + 2 * i + j) * columns, to = (h * hs + j * half + i) * columns
                    for c in 0..<columns { out[to + c] = rows[from + c] }
                }
            }
        }
        return out
    }
}
