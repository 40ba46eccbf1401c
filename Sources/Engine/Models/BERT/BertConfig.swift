import JSON
import Platform

/// The fields of a BERT `config.json` the engine uses, plus the classification head's labels
/// and the sentence-embedding pooling of the model folder's `1_Pooling/config.json`.
public struct BertConfig: Sendable, Equatable {
    public enum Pooling: String, Sendable { case mean, cls }

    public var vocabSize: Int          // V
    public var hiddenSize: Int         // C
    public var numLayers: Int          // L
    public var numHeads: Int           // NH
    public var intermediateSize: Int   // FF
    public var maxPositions: Int       // maxT
    public var typeVocabSize: Int      // TT
    public var layerNormEps: Float
    public var hiddenDropout: Float
    public var attentionDropout: Float
    public var initializerRange: Float
    /// Classification labels in id order (`id2label`); empty for a bare encoder.
    public var labels: [String]
    public var pooling: Pooling

    public init(
        vocabSize: Int, hiddenSize: Int, numLayers: Int, numHeads: Int, intermediateSize: Int,
        maxPositions: Int, typeVocabSize: Int = 2, layerNormEps: Float = 1e-12,
        hiddenDropout: Float = 0.1, attentionDropout: Float = 0.1, initializerRange: Float = 0.02,
        labels: [String] = [], pooling: Pooling = .mean
    ) {
        precondition(hiddenSize % numHeads == 0, "BertConfig: hidden size must divide by heads")
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.numHeads = numHeads
        self.intermediateSize = intermediateSize
        self.maxPositions = maxPositions
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.hiddenDropout = hiddenDropout
        self.attentionDropout = attentionDropout
        self.initializerRange = initializerRange
        self.labels = labels
        self.pooling = pooling
    }

    public var numLabels: Int { labels.count }

    /// Reads `config.json` (and `1_Pooling/config.json` when present) from a model folder.
    public static func load(folder: String) throws(CheckpointError) -> BertConfig {
        var config = try parse(json: read(folder + "/config.json"), path: folder + "/config.json")
        let poolingPath = folder + "/1_Pooling/config.json"
        if Files.exists(poolingPath) {
            let pooling = try read(poolingPath)
            if pooling["pooling_mode_mean_tokens"]?.bool == true {
                config.pooling = .mean
            } else if pooling["pooling_mode_cls_token"]?.bool == true {
                config.pooling = .cls
            } else {
                throw .invalidConfig(path: poolingPath, reason: "only mean and CLS pooling are supported")
            }
        }
        return config
    }

    static func read(_ path: String) throws(CheckpointError) -> JSONValue {
        guard let bytes = Files.read(path) else { throw .unreadable(path: path, .current) }
        do { return try JSONValue(parsing: bytes) } catch { throw .invalidConfig(path: path, reason: "\(error)") }
    }

    public static func parse(json: JSONValue, path: String = "config.json") throws(CheckpointError) -> BertConfig {
        func int(_ key: String) throws(CheckpointError) -> Int {
            guard let value = json[key]?.int, value > 0 else { throw .invalidConfig(path: path, reason: "\(key) must be a positive integer") }
            return value
        }
        func double(_ key: String, _ fallback: Double) throws(CheckpointError) -> Float {
            guard let value = json[key] else { return Float(fallback) }
            guard let number = value.double, number >= 0 else { throw .invalidConfig(path: path, reason: "\(key) must be a non-negative number") }
            return Float(number)
        }
        if let model = json["model_type"]?.string, model != "bert" {
            throw .invalidConfig(path: path, reason: "model_type \(model) is not bert")
        }
        if let act = json["hidden_act"]?.string, act != "gelu" {
            throw .invalidConfig(path: path, reason: "hidden_act \(act) is not supported (gelu only)")
        }
        if let kind = json["position_embedding_type"]?.string, kind != "absolute" {
            throw .invalidConfig(path: path, reason: "position_embedding_type \(kind) is not supported")
        }
        let C = try int("hidden_size"), NH = try int("num_attention_heads")
        guard C % NH == 0 else { throw .invalidConfig(path: path, reason: "hidden_size must be a multiple of num_attention_heads") }
        var labels: [String] = []
        if let map = json["id2label"]?.object {
            labels = [String](repeating: "", count: map.count)
            for (key, value) in map {
                guard let id = Int(key), id >= 0, id < map.count, let label = value.string else {
                    throw .invalidConfig(path: path, reason: "id2label must map 0..<n to strings")
                }
                labels[id] = label
            }
        }
        return BertConfig(
            vocabSize: try int("vocab_size"), hiddenSize: C, numLayers: try int("num_hidden_layers"), numHeads: NH,
            intermediateSize: try int("intermediate_size"), maxPositions: try int("max_position_embeddings"),
            typeVocabSize: try int("type_vocab_size"), layerNormEps: try double("layer_norm_eps", 1e-12),
            hiddenDropout: try double("hidden_dropout_prob", 0.1), attentionDropout: try double("attention_probs_dropout_prob", 0.1),
            initializerRange: try double("initializer_range", 0.02), labels: labels)
    }
}
