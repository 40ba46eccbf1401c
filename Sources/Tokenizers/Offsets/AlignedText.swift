/// Text with, for each scalar, the input scalars it came from: `sources[i]..<ends[i]` (one
/// scalar, or several for a composed one). `Tokenizer.encodeWithOffsets` carries these.
public struct AlignedText: Sendable, Equatable {
    public var scalars: [UInt32]
    public var sources: [Int]
    public var ends: [Int]

    public init(scalars: [UInt32], sources: [Int], ends: [Int]? = nil) {
        precondition(scalars.count == sources.count, "one source per scalar")
        self.scalars = scalars
        self.sources = sources
        self.ends = ends ?? sources.map { $0 + 1 }
    }

    /// Each scalar its own source, counting from `start`.
    public init(_ scalars: ArraySlice<UInt32>, start: Int = 0) {
        self.init(scalars: Array(scalars), sources: Array(start..<(start + scalars.count)))
    }

    public var count: Int { scalars.count }

    public subscript(range: Range<Int>) -> AlignedText {
        AlignedText(scalars: Array(scalars[range]), sources: Array(sources[range]), ends: Array(ends[range]))
    }

    /// Appends `scalar`, made from the input scalars of position `at` of `other`.
    mutating func append(_ scalar: UInt32, from other: AlignedText, at: Int) {
        scalars.append(scalar)
        sources.append(other.sources[at])
        ends.append(other.ends[at])
    }

    /// The input scalars that `range` of this text came from.
    func span(_ range: Range<Int>) -> Range<Int> {
        guard !range.isEmpty, let low = sources[range].min(), let high = ends[range].max() else { return 0..<0 }
        return low..<high
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
        for (i, c) in text.scalars.enumerated() {
            for d in normalize([c]) { out.append(d, from: text, at: i) }
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
        guard !text.scalars.isEmpty else { return text }
        var out = AlignedText(scalars: [], sources: [])
        for c in prefix { out.append(c, from: text, at: 0) }
        for (i, c) in text.scalars.enumerated() { out.append(c, from: text, at: i) }
        return out
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
                // The replacement comes from the whole match.
                let span = text.span(i..<(i + pattern.count))
                for c in content {
                    out.scalars.append(c)
                    out.sources.append(span.lowerBound)
                    out.ends.append(span.upperBound)
                }
                i += pattern.count
            } else {
                out.append(text.scalars[i], from: text, at: i)
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
        for (i, c) in text.scalars.enumerated() {
            for d in Normalization.decompose([c], compatibility: compatibility) { out.append(d, from: text, at: i) }
        }
        // Reorder positions, then rebuild: each scalar keeps its sources.
        var order = Array(out.scalars.indices)
        var scalars = out.scalars
        Normalization.reorder(&scalars, carrying: &order)
        out = AlignedText(scalars: scalars, sources: order.map { out.sources[$0] }, ends: order.map { out.ends[$0] })
        if form == .nfc || form == .nfkc {
            // A composed scalar comes from everything composed into it: up to the next kept one.
            let (composed, kept) = Normalization.composeTracking(out.scalars)
            var result = AlignedText(scalars: [], sources: [])
            for (n, start) in kept.enumerated() {
                let end = n + 1 < kept.count ? kept[n + 1] : out.count
                let span = out.span(start..<end)
                result.scalars.append(composed[n])
                result.sources.append(span.lowerBound)
                result.ends.append(span.upperBound)
            }
            out = result
        }
        return out
    }
}
