extension Tokenizer {
    /// `tokenize`, with the range of input scalars each id comes from.
    public func tokenizeWithOffsets(_ text: String) -> (ids: [Int], offsets: [Range<Int>]) {
        var ids: [Int] = []
        var offsets: [Range<Int>] = []
        let scalars = Array(scalarsOf: text)
        for segment in addedTokenMatcher(normalized: false).split(scalars) {
            if let id = segment.id {
                ids.append(id)
                offsets.append(segment.range)
                continue
            }
            let segmentAtStart = segment.range.lowerBound == 0
            var text = AlignedText(scalars[segment.range], start: segment.range.lowerBound)
            if let normalizer { text = normalizer.normalizeAligned(text) }
            for part in addedTokenMatcher(normalized: true).split(text.scalars) {
                if let id = part.id {
                    ids.append(id)
                    offsets.append(text.span(part.range))
                    continue
                }
                if part.range.isEmpty { continue }
                var pieces: [AlignedText] = []
                if let preTokenizer {
                    preTokenizer.splitAligned(text[part.range], atStart: segmentAtStart && part.range.lowerBound == 0, into: &pieces)
                } else {
                    pieces = [text[part.range]]
                }
                for piece in pieces {
                    var ranges: [Range<Int>] = []
                    model.tokenizeAligned(piece.scalars, into: &ids, ranges: &ranges)
                    for r in ranges { offsets.append(piece.span(r)) }
                }
            }
        }
        return (ids, offsets)
    }

    /// Scalar offsets into `text` as UTF-8 byte offsets.
    public static func byteOffsets(_ offsets: [Range<Int>], in text: String) -> [Range<Int>] {
        var starts: [Int] = [0]
        var at = 0
        for scalar in text.unicodeScalars {
            at += UTF8.width(scalar)
            starts.append(at)
        }
        return offsets.map { starts[min($0.lowerBound, starts.count - 1)]..<starts[min($0.upperBound, starts.count - 1)] }
    }
}
