import Platform

/// Why a checkpoint, its configuration or a fixture could not be used. Every case names the
/// file or key at fault.
public enum CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    case unreadable(path: String, Errno)
    case invalidFile(path: String, reason: String)
    case missingKey(String)
    case unexpectedKey(String)
    case wrongShape(key: String, expected: [Int], found: [Int])
    case unsupportedDType(key: String, dtype: String)
    case invalidConfig(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let errno): "cannot read \(path): \(errno)"
        case .invalidFile(let path, let reason): "\(path) is not a valid safetensors file: \(reason)"
        case .missingKey(let key): "checkpoint is missing \(key)"
        case .unexpectedKey(let key): "checkpoint has an unexpected tensor \(key)"
        case .wrongShape(let key, let expected, let found): "\(key) has shape \(found), expected \(expected)"
        case .unsupportedDType(let key, let dtype): "\(key) has unsupported dtype \(dtype)"
        case .invalidConfig(let path, let reason): "\(path): \(reason)"
        }
    }
}
