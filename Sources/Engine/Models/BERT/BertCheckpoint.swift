import Tensor

/// The single table between HF checkpoint keys and BERT's parameters, and loading and saving
/// through it. Keys are accepted with or without the `bert.` prefix that
/// BertForSequenceClassification adds; the classifier's keys have none.
public enum BertCheckpoint {
    /// Buffers HF stores that are not parameters.
    static let ignored: Set<String> = ["embeddings.position_ids"]

    /// (key without `bert.`, destination) for every parameter, in checkpoint order. Q, K and V
    /// map onto row blocks of the fused (3C, C) weight and (3C) bias.
    public static func names(_ p: BertParameters, config: BertConfig) -> [(key: String, slice: TensorSlice)] {
        let C = config.hiddenSize
        var table: [(String, TensorSlice)] = [
            ("embeddings.word_embeddings.weight", p.wte),
            ("embeddings.position_embeddings.weight", p.wpe),
            ("embeddings.token_type_embeddings.weight", p.wtt),
            ("embeddings.LayerNorm.weight", p.embLNw),
            ("embeddings.LayerNorm.bias", p.embLNb),
        ]
        for l in 0..<config.numLayers {
            let layer = "encoder.layer.\(l)."
            for (k, part) in ["query", "key", "value"].enumerated() {
                table.append((layer + "attention.self.\(part).weight", p.qkvw[l].rows((k * C)..<((k + 1) * C))))
                table.append((layer + "attention.self.\(part).bias", p.qkvb[l].rows((k * C)..<((k + 1) * C))))
            }
            table += [
                (layer + "attention.output.dense.weight", p.attprojw[l]),
                (layer + "attention.output.dense.bias", p.attprojb[l]),
                (layer + "attention.output.LayerNorm.weight", p.ln1w[l]),
                (layer + "attention.output.LayerNorm.bias", p.ln1b[l]),
                (layer + "intermediate.dense.weight", p.fcw[l]),
                (layer + "intermediate.dense.bias", p.fcb[l]),
                (layer + "output.dense.weight", p.fcprojw[l]),
                (layer + "output.dense.bias", p.fcprojb[l]),
                (layer + "output.LayerNorm.weight", p.ln2w[l]),
                (layer + "output.LayerNorm.bias", p.ln2b[l]),
            ]
        }
        table += [("pooler.dense.weight", p.poolw), ("pooler.dense.bias", p.poolb)]
        if config.numLabels > 0 {
            table += [("classifier.weight", p.clsw), ("classifier.bias", p.clsb)]
        }
        return table
    }

    /// Loads every parameter of `model` from `file`. Fails naming the first missing key,
    /// unexpected key or wrong shape. When `headOptional` is true, a checkpoint without
    /// `classifier.*` (a base encoder) is accepted and the head keeps its initialisation.
    /// Returns whether the head was loaded.
    @discardableResult
    public static func load(_ model: Bert, from file: SafeTensors, headOptional: Bool = true) throws(CheckpointError) -> Bool {
        let table = names(model.parameters, config: model.config)
        var index: [String: Int] = [:]
        for (i, entry) in table.enumerated() { index[entry.key] = i }
        var loaded = [Bool](repeating: false, count: table.count)
        for entry in file.entries {
            let key = entry.name.hasPrefix("bert.") ? String(entry.name.dropFirst(5)) : entry.name
            if ignored.contains(key) { continue }
            guard let i = index[key] else { throw .unexpectedKey(entry.name) }
            guard entry.shape == table[i].slice.shape else {
                throw .wrongShape(key: entry.name, expected: table[i].slice.shape, found: entry.shape)
            }
            try file.read(entry.name, into: table[i].slice.pointer)
            loaded[i] = true
        }
        var head = model.config.numLabels > 0
        for (i, entry) in table.enumerated() where !loaded[i] {
            if headOptional && entry.key.hasPrefix("classifier.") { head = false; continue }
            throw .missingKey(entry.key)
        }
        return head
    }

    /// Writes every parameter under its HF key (with `bert.` when the model has a head, as
    /// BertForSequenceClassification saves), as F32.
    public static func save(_ model: Bert, to path: String) throws(CheckpointError) {
        try safetensors(model).write(to: path)
    }
}
