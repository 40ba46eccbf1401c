import GGUF

/// The shape of a Llama-family model (SmolLM2, Llama 2/3): what `config.json` or a GGUF file's
/// `llama.*` metadata says.
public struct LlamaConfig: Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numLayers: Int
    public var numHeads: Int
    /// Key/value heads: fewer than `numHeads` for grouped-query attention.
    public var numKVHeads: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var ropeTheta: Double
    public var rmsNormEps: Float
    /// The output projection is the token embedding (no separate `lm_head`).
    public var tiedEmbeddings: Bool

    public var headSize: Int { hiddenSize / numHeads }
    public var kvSize: Int { numKVHeads * headSize }

    public init(vocabSize: Int, hiddenSize: Int, numLayers: Int, numHeads: Int, numKVHeads: Int, intermediateSize: Int,
                maxPositions: Int, ropeTheta: Double = 10_000, rmsNormEps: Float = 1e-5, tiedEmbeddings: Bool = true) {
        (self.vocabSize, self.hiddenSize, self.numLayers, self.numHeads, self.numKVHeads) = (vocabSize, hiddenSize, numLayers, numHeads, numKVHeads)
        (self.intermediateSize, self.maxPositions, self.ropeTheta, self.rmsNormEps, self.tiedEmbeddings) =
            (intermediateSize, maxPositions, ropeTheta, rmsNormEps, tiedEmbeddings)
    }

    /// From a GGUF header of architecture `llama`. The vocabulary size comes from the token
    /// embedding when the metadata lacks it; embeddings are tied when there is no `output.weight`.
    public init(gguf file: GGUFFile) throws(CheckpointError) {
        guard file["general.architecture"]?.string == "llama" else {
            throw CheckpointError.invalidConfig(path: "GGUF", reason: "GGUF architecture \(file["general.architecture"]?.string ?? "(none)") is not llama")
        }
        func integer(_ key: String) throws(CheckpointError) -> Int {
            guard let value = file["llama." + key]?.int else { throw CheckpointError.invalidConfig(path: "GGUF", reason: "GGUF metadata llama.\(key) is missing") }
            return value
        }
        let embedding = file.tensors.first { $0.name == "token_embd.weight" }
        guard let vocab = file["llama.vocab_size"]?.int ?? embedding?.dimensions.last else {
            throw CheckpointError.invalidConfig(path: "GGUF", reason: "GGUF has neither llama.vocab_size nor token_embd.weight")
        }
        let heads = try integer("attention.head_count")
        self.init(vocabSize: vocab, hiddenSize: try integer("embedding_length"), numLayers: try integer("block_count"),
                  numHeads: heads, numKVHeads: file["llama.attention.head_count_kv"]?.int ?? heads,
                  intermediateSize: try integer("feed_forward_length"), maxPositions: try integer("context_length"),
                  ropeTheta: file["llama.rope.freq_base"]?.double ?? 10_000,
                  rmsNormEps: Float(file["llama.attention.layer_norm_rms_epsilon"]?.double ?? 1e-5),
                  tiedEmbeddings: !file.tensors.contains { $0.name == "output.weight" })
        guard hiddenSize % numHeads == 0, numHeads % numKVHeads == 0 else {
            throw CheckpointError.invalidConfig(path: "GGUF", reason: "GGUF heads do not divide: hidden \(hiddenSize), heads \(numHeads), key/value heads \(numKVHeads)")
        }
    }
}
