/// The last stage of tokenizer.json: turns tokens back into text. Each decoder maps the token
/// list to a new list (tokenizers' `decode_chain`); the tokenizer joins the final list.
public protocol Decoder: Sendable {
    func decodeChain(_ tokens: [String]) -> [String]
}

/// The decoder types of tokenizer.json's `"decoder"`, by their `"type"`.
public enum DecoderKind: String, Sendable {
    case wordPiece = "WordPiece", byteLevel = "ByteLevel", metaspace = "Metaspace", byteFallback = "ByteFallback"
    case fuse = "Fuse", strip = "Strip", replace = "Replace", sequence = "Sequence"
}

enum DecoderFactory {
    static func make(_ node: JSONNode) throws(TokenizerError) -> any Decoder {
        let type = try node.type()
        guard let kind = DecoderKind(rawValue: type) else { throw .unsupported(path: node.child("type"), type: type) }
        switch kind {
        case .wordPiece:
            return WordPieceDecoder(prefix: try node.string("prefix", default: "##"), cleanup: try node.bool("cleanup", default: true))
        case .byteLevel: return ByteLevelDecoder()
        case .metaspace:
            let replacement = try node.string("replacement", default: "\u{2581}")
            let scheme = try node.string("prepend_scheme", default: try node.bool("add_prefix_space", default: true) ? "always" : "never")
            return MetaspaceDecoder(replacement: replacement, prepend: scheme != "never")
        case .byteFallback: return ByteFallbackDecoder()
        case .fuse: return FuseDecoder()
        case .strip:
            return StripDecoder(content: try node.string("content"), start: try node.int("start", default: 0), stop: try node.int("stop", default: 0))
        case .replace:
            return ReplaceDecoder(pattern: try Pattern.literal(try node.required("pattern")), content: try node.string("content"))
        case .sequence:
            var stages: [any Decoder] = []
            for child in try node.required("decoders").array() { stages.append(try make(child)) }
            return SequenceDecoder(stages: stages)
        }
    }
}

public struct SequenceDecoder: Decoder {
    public let stages: [any Decoder]
    public func decodeChain(_ tokens: [String]) -> [String] {
        stages.reduce(tokens) { $1.decodeChain($0) }
    }
}

/// Joins pieces with spaces, gluing `##` continuations, then BERT's punctuation clean-up.
public struct WordPieceDecoder: Decoder {
    public let prefix: String
    public let cleanup: Bool

    public init(prefix: String = "##", cleanup: Bool = true) {
        self.prefix = prefix
        self.cleanup = cleanup
    }

    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { n, token in
            var token = token
            if n != 0 {
                if !prefix.isEmpty && token.utf8.starts(with: prefix.utf8) {
                    token = String(decoding: token.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
                } else {
                    token = " " + token
                }
            }
            return cleanup ? Self.cleanup(token) : token
        }
    }

    static let replacements: [([UInt8], [UInt8])] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ].map { (Array($0.0.utf8), Array($0.1.utf8)) }

    static func cleanup(_ text: String) -> String {
        var bytes = Array(text.utf8)
        guard bytes.contains(32) else { return text }
        for (pattern, content) in replacements { bytes = ReplaceNormalizer.replace(bytes, pattern, content) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Byte-level tokens back to bytes, then UTF-8 with U+FFFD for invalid sequences. A token with
/// a character outside the byte alphabet keeps its own UTF-8.
public struct ByteLevelDecoder: Decoder {
    public init() {}
    public func decodeChain(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        var own: [UInt8] = []
        for token in tokens {
            own.removeAll(keepingCapacity: true)
            var inAlphabet = true
            for scalar in token.unicodeScalars {
                guard let b = ByteLevelAlphabet.byte(scalar.value) else { inAlphabet = false; break }
                own.append(b)
            }
            bytes.append(contentsOf: inAlphabet ? own : Array(token.utf8))
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}
