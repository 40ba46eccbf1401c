/// Why a model cannot be loaded or served, with the model's name. `unavailable` is the store's
/// or the server's fault (weights missing or not fitting); the others are the caller's (an
/// unknown model, or one that cannot do what was asked of it).
public struct ModelLoadError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        case notFound = "model_not_found"
        /// An architecture, quantization or file the engine does not run.
        case unsupported = "unsupported_model"
        /// Generation asked of a model that is not a causal language model.
        case notGenerative = "model_not_generative"
        /// Classification asked of a model without a trained head (a base model).
        case withoutHead = "model_without_head"
        /// The store lost or corrupted what the model needs.
        case unavailable = "model_unavailable"
    }

    public var code: Code
    public var model: String
    public var message: String

    public init(_ code: Code, model: String, _ message: String) {
        (self.code, self.model, self.message) = (code, model, message)
    }

    public var description: String { message }
}
