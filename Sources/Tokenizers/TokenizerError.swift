/// Why a tokenizer could not be loaded. Every case names where in the input the problem is:
/// a JSON path like `pre_tokenizer.pretokenizers[1].type`, a GGUF key or a line number.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A stage `type` (or other closed choice) this implementation does not know.
    case unsupported(path: String, type: String)
    /// A value that is missing, of the wrong kind or out of range.
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case .unsupported(let path, let type): return "\(path): unsupported type \"\(type)\""
        case .malformed(let path, let reason): return "\(path): \(reason)"
        }
    }

    public var path: String {
        switch self {
        case .unsupported(let path, _), .malformed(let path, _): return path
        }
    }
}
