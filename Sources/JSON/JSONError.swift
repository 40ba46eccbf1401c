/// Why a document is not valid JSON, and where.
public struct JSONError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Byte offset from the start of the input where the problem was found.
    /// For "unterminated string" it is the offset of the opening quote.
    public var offset: Int
    /// What is wrong, e.g. "unexpected character 'x'" or "unterminated string".
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    /// "invalid JSON at byte 12: unterminated string"
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}
