import Engine

/// Why an embedding request cannot be served; every case names what is wrong.
public enum EmbedError: Error, CustomStringConvertible, Equatable, Sendable {
    case unsupportedArchitecture(model: String, architecture: String)
    case unloadable(model: String, reason: String)
    case emptyInput
    case emptySequence(index: Int)
    case tooLong(index: Int, length: Int, limit: Int)
    case invalidToken(index: Int, id: Int, vocabulary: Int)

    public var description: String {
        switch self {
        case .unsupportedArchitecture(let model, let architecture): "\(model) is a \(architecture) model; embeddings need a BERT-family model"
        case .unloadable(let model, let reason): "\(model) cannot be loaded: \(reason)"
        case .emptyInput: "there are no inputs to embed"
        case .emptySequence(let index): "input \(index) has no tokens"
        case .tooLong(let index, let length, let limit): "input \(index) has \(length) tokens, more than the model's \(limit) (set truncate to true)"
        case .invalidToken(let index, let id, let vocabulary): "input \(index) has token id \(id) outside 0..<\(vocabulary)"
        }
    }
}
