/// Text with, for each scalar, where it came from: the index of a scalar one stage earlier.
/// The offsets path of the pipeline (`Tokenizer.encode(_:offsets:)`) carries these.
public struct AlignedText: Sendable, Equatable {
    public var scalars: [UInt32]
    public var sources: [Int]

    public init(scalars: [UInt32], sources: [Int]) {
        precondition(scalars.count == sources.count, "one source per scalar")
        self.scalars = scalars
        self.sources = sources
    }

    /// Each scalar its own source, counting from `start`.
    public init(_ scalars: ArraySlice<UInt32>, start: Int = 0) {
        self.scalars = Array(scalars)
        self.sources = Array(start..<(start + scalars.count))
    }

    public var count: Int { scalars.count }

    public subscript(range: Range<Int>) -> AlignedText {
        AlignedText(scalars: Array(scalars[range]), sources: Array(sources[range]))
    }
}

// MARK: - Normalizers

extension Normalizer {
    /// The default, right for normalizers that map each scalar on its own (BERT's, Lowercase,
    /// StripAccents, NFD, NFKD): every output scalar comes from the input scalar it was made from.
    public func normalizeAligned(_ text: AlignedText) -> AlignedText {
        if let sequence = self as? SequenceNormalizer {
            return sequence.stages.reduce(text) { $1.normalizeAligned($0) }
        }
        if let aware = self as? any AlignmentAwareNormalizer { return aware.alignedNormalize(text) }
        var out = AlignedText(scalars: [], sources: [])
        for (c, source) in zip(text.scalars, text.sources) {
            for d in normalize([c]) {
                out.scalars.append(d)
                out.sources.append(source)
            }
        }
        return out
    }
}

/// Normalizers whose output does not follow their input scalar by scalar.
protocol AlignmentAwareNormalizer: Normalizer {
    func alignedNormalize(_ text: AlignedText) -> AlignedText
}

extension PrependNormalizer: AlignmentAwareNormalizer {
    func alignedNormalize(_ text: AlignedText) -> AlignedText {
        guard let first = text.sources.first else { return text }
        return AlignedText(scalars: prefix + text.scalars, sources: Array(repeating: first, count: prefix.count) + text.sources)
    }
}

extension StripNormalizer: AlignmentAwareNormalizer {
    func alignedNormalize(_ text: AlignedText) -> AlignedText {
        var start = 0, end = text.count
        if left { while start < end && UnicodeProperties.isWhiteSpace(text.scalars[start]) { start += 1 } }
        if right { while end > start && UnicodeProperties.isWhiteSpace(text.scalars[end - 1]) { end -= 1 } }
        return text[start..<end]
    }
}

extension ReplaceNormalizer: AlignmentAwareNormalizer {
    func alignedNormalize(_ text: AlignedText) -> AlignedText {
        guard !pattern.isEmpty else { return text }
        var out = AlignedText(scalars: [], sources: [])
        var i = 0
        while i < text.count {
            if i + pattern.count <= text.count && text.scalars[i..<(i + pattern.count)].elementsEqual(pattern) {
                out.scalars += content
                out.sources += Array(repeating: text.sources[i], count: content.count)
                i += pattern.count
            } else {
                out.scalars.append(text.scalars[i])
                out.sources.append(text.sources[i])
                i += 1
            }
        }
        return out
    }
}

extension UnicodeNormalizer: AlignmentAwareNormalizer {
    /// Decomposition follows each scalar; a composed scalar comes from the first of its parts.
    func alignedNormalize(_ text: AlignedText) -> AlignedText {
        let compatibility = form == .nfkc || form == .nfkd
        var out = AlignedText(scalars: [], sources: [])
        for (c, source) in zip(text.scalars, text.sources) {
            let d = Normalization.decompose([c], compatibility: compatibility)
            out.scalars += d
            out.sources += Array(repeating: source, count: d.count)
        }
        Normalization.reorder(&out.scalars, carrying: &out.sources)
        if form == .nfc || form == .nfkc {
            let (scalars, kept) = Normalization.composeTracking(out.scalars)
            out = AlignedText(scalars: scalars, sources: kept.map { out.sources[$0] })
        }
        return out
    }
}
