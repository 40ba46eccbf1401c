/// The first stage of tokenizer.json: rewrites the text, scalar by scalar.
public protocol Normalizer: Sendable {
    func normalize(_ text: [UInt32]) -> [UInt32]
}

/// The normalizer types of tokenizer.json's `"normalizer"`, by their `"type"`.
public enum NormalizerKind: String, Sendable {
    case bert = "BertNormalizer", nfc = "NFC", nfd = "NFD", nfkc = "NFKC", nfkd = "NFKD"
    case lowercase = "Lowercase", stripAccents = "StripAccents", strip = "Strip", replace = "Replace"
    case prepend = "Prepend", sequence = "Sequence"
}

enum NormalizerFactory {
    static func make(_ node: JSONNode) throws(TokenizerError) -> any Normalizer {
        let type = try node.type()
        guard let kind = NormalizerKind(rawValue: type) else {
            throw .unsupported(path: node.child("type"), type: type)
        }
        switch kind {
        case .bert:
            let lowercase = try node.bool("lowercase", default: true)
            return BertNormalizer(
                cleanText: try node.bool("clean_text", default: true),
                handleChineseChars: try node.bool("handle_chinese_chars", default: true),
                stripAccents: try node.optional("strip_accents")?.bool() ?? lowercase,
                lowercase: lowercase)
        case .nfc: return UnicodeNormalizer(form: .nfc)
        case .nfd: return UnicodeNormalizer(form: .nfd)
        case .nfkc: return UnicodeNormalizer(form: .nfkc)
        case .nfkd: return UnicodeNormalizer(form: .nfkd)
        case .lowercase: return LowercaseNormalizer()
        case .stripAccents: return StripAccentsNormalizer()
        case .strip:
            return StripNormalizer(left: try node.bool("strip_left", default: true), right: try node.bool("strip_right", default: true))
        case .replace:
            return ReplaceNormalizer(
                pattern: Array(scalarsOf: try Pattern.literal(try node.required("pattern"))),
                content: Array(scalarsOf: try node.string("content")))
        case .prepend:
            return PrependNormalizer(prefix: Array(scalarsOf: try node.string("prepend")))
        case .sequence:
            var stages: [any Normalizer] = []
            for child in try node.required("normalizers").array() { stages.append(try make(child)) }
            return SequenceNormalizer(stages: stages)
        }
    }
}

/// `{"String": "x"}` patterns; `{"Regex": …}` only when it is a plain literal.
enum Pattern {
    static func literal(_ node: JSONNode) throws(TokenizerError) -> String {
        if let s = try node.optional("String") { return try s.string() }
        if let r = try node.optional("Regex") {
            let regex = try r.string()
            let special: Set<Character> = ["\\", ".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "^", "$"]
            if !regex.contains(where: { special.contains($0) }) { return regex }
            throw .unsupported(path: r.path, type: "Regex \(regex)")
        }
        throw .malformed(path: node.path, reason: "expected {\"String\": …} or {\"Regex\": …}")
    }
}

public struct SequenceNormalizer: Normalizer {
    public let stages: [any Normalizer]
    public func normalize(_ text: [UInt32]) -> [UInt32] {
        var text = text
        for stage in stages { text = stage.normalize(text) }
        return text
    }
}
