/// NFC, NFD, NFKC or NFKD.
public struct UnicodeNormalizer: Normalizer {
    public enum Form: Sendable { case nfc, nfd, nfkc, nfkd }
    public let form: Form
    public func normalize(_ text: [UInt32]) -> [UInt32] {
        if text.allSatisfy({ $0 < 0xA0 }) { return text }
        switch form {
        case .nfc: return Normalization.nfc(text)
        case .nfd: return Normalization.nfd(text)
        case .nfkc: return Normalization.nfkc(text)
        case .nfkd: return Normalization.nfkd(text)
        }
    }
}

/// Full lowercase mapping of each scalar on its own (Rust's `char::to_lowercase`).
public struct LowercaseNormalizer: Normalizer {
    public init() {}
    public func normalize(_ text: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.count)
        for c in text { UnicodeProperties.appendLowercase(c, to: &out) }
        return out
    }
}

/// Removes nonspacing marks (Mn); meant to follow NFD or NFKD.
public struct StripAccentsNormalizer: Normalizer {
    public init() {}
    public func normalize(_ text: [UInt32]) -> [UInt32] {
        text.filter { $0 < 0x300 || UnicodeProperties.category($0) != .Mn }
    }
}

/// Removes leading and/or trailing whitespace.
public struct StripNormalizer: Normalizer {
    public let left: Bool
    public let right: Bool
    public func normalize(_ text: [UInt32]) -> [UInt32] {
        var start = 0, end = text.count
        if left { while start < end && UnicodeProperties.isWhiteSpace(text[start]) { start += 1 } }
        if right { while end > start && UnicodeProperties.isWhiteSpace(text[end - 1]) { end -= 1 } }
        return Array(text[start..<end])
    }
}

/// Replaces every non-overlapping occurrence of `pattern`, left to right.
public struct ReplaceNormalizer: Normalizer {
    public let pattern: [UInt32]
    public let content: [UInt32]
    public func normalize(_ text: [UInt32]) -> [UInt32] { Self.replace(text, pattern, content) }

    static func replace<T: Equatable>(_ text: [T], _ pattern: [T], _ content: [T]) -> [T] {
        guard !pattern.isEmpty, text.count >= pattern.count else { return text }
        var out: [T] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if i + pattern.count <= text.count && text[i] == pattern[0] && text[i..<(i + pattern.count)].elementsEqual(pattern) {
                out.append(contentsOf: content)
                i += pattern.count
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }
}

/// Puts `prefix` in front of non-empty text.
public struct PrependNormalizer: Normalizer {
    public let prefix: [UInt32]
    public func normalize(_ text: [UInt32]) -> [UInt32] { text.isEmpty ? text : prefix + text }
}
