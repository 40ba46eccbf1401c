/// `▁` back to spaces; the first token loses the space the pre-tokenizer prepended.
public struct MetaspaceDecoder: Decoder {
    public let replacement: String
    public let prepend: Bool

    public init(replacement: String = "\u{2581}", prepend: Bool = true) {
        self.replacement = replacement
        self.prepend = prepend
    }

    public func decodeChain(_ tokens: [String]) -> [String] {
        let pattern = Array(replacement.utf8), space: [UInt8] = [32]
        return tokens.enumerated().map { n, token in
            var bytes = ReplaceNormalizer.replace(Array(token.utf8), pattern, space)
            if n == 0 && prepend && bytes.first == 32 { bytes.removeFirst() }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// Runs of `<0xXX>` tokens become the text of their bytes, or one U+FFFD per byte when the
/// bytes are not valid UTF-8.
public struct ByteFallbackDecoder: Decoder {
    public init() {}
    public func decodeChain(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let text = Self.validUTF8(pending) {
                out.append(text)
            } else {
                out.append(contentsOf: Array(repeating: "\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for token in tokens {
            if let byte = Self.byte(token) {
                pending.append(byte)
            } else {
                flush()
                out.append(token)
            }
        }
        flush()
        return out
    }

    static func byte(_ token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == 60, u[1] == 48, u[2] == 120, u[5] == 62 else { return nil }  // <0x..>
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 48...57: return b - 48
            case 65...70: return b - 55
            default: return nil
            }
        }
        guard let high = hex(u[3]), let low = hex(u[4]) else { return nil }
        return high << 4 | low
    }

    static func validUTF8(_ bytes: [UInt8]) -> String? {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var scalars = String.UnicodeScalarView()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s): scalars.append(s)
            case .emptyInput: return String(scalars)
            case .error: return nil
            }
        }
    }
}

/// All tokens into one.
public struct FuseDecoder: Decoder {
    public init() {}
    public func decodeChain(_ tokens: [String]) -> [String] { [tokens.joined()] }
}

/// Removes up to `start` leading and `stop` trailing occurrences of `content` from each token.
public struct StripDecoder: Decoder {
    public let content: String
    public let start: Int
    public let stop: Int

    public init(content: String, start: Int, stop: Int) {
        self.content = content
        self.start = start
        self.stop = stop
    }

    public func decodeChain(_ tokens: [String]) -> [String] {
        let c = content.unicodeScalars.first
        return tokens.map { token in
            var scalars = Array(token.unicodeScalars)
            var removed = 0
            while removed < start, let first = scalars.first, first == c { scalars.removeFirst(); removed += 1 }
            removed = 0
            while removed < stop, let last = scalars.last, last == c { scalars.removeLast(); removed += 1 }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            return String(view)
        }
    }
}

/// Replaces a literal in each token.
public struct ReplaceDecoder: Decoder {
    public let pattern: String
    public let content: String

    public init(pattern: String, content: String) {
        self.pattern = pattern
        self.content = content
    }

    public func decodeChain(_ tokens: [String]) -> [String] {
        let p = Array(pattern.utf8), c = Array(content.utf8)
        return tokens.map { String(decoding: ReplaceNormalizer.replace(Array($0.utf8), p, c), as: UTF8.self) }
    }
}
