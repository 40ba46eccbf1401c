// The offsets path of the pre-tokenizers and models: the same results as `split` and
// `tokenize`, plus where each piece and token came from.

extension PreTokenizer {
    /// Pieces of `text` with their sources. Pre-tokenizers that only cut (every one but
    /// ByteLevel and Metaspace) need nothing more: their pieces are found again, in order, in the text.
    public func splitAligned(_ text: AlignedText, atStart: Bool = true, into pieces: inout [AlignedText]) {
        switch self {
        case let sequence as SequencePreTokenizer:
            var current = [(text, atStart)]
            for stage in sequence.stages {
                var next: [(AlignedText, Bool)] = []
                for (piece, first) in current {
                    var out: [AlignedText] = []
                    stage.splitAligned(piece, atStart: first, into: &out)
                    for (n, p) in out.enumerated() { next.append((p, first && n == 0)) }
                }
                current = next
            }
            pieces += current.map(\.0)
        case let byteLevel as ByteLevelPreTokenizer:
            byteLevel.alignedSplit(text, into: &pieces)
        case let metaspace as MetaspacePreTokenizer:
            metaspace.alignedSplit(text, atStart: atStart, into: &pieces)
        default:
            var cursor = 0
            for piece in split(text.scalars) {
                var at = cursor
                while at + piece.count <= text.count && !text.scalars[at..<(at + piece.count)].elementsEqual(piece) { at += 1 }
                guard at + piece.count <= text.count else { continue }  // cannot happen for cutting pre-tokenizers
                pieces.append(text[at..<(at + piece.count)])
                cursor = at + piece.count
            }
        }
    }
}

extension ByteLevelPreTokenizer {
    func alignedSplit(_ text: AlignedText, into pieces: inout [AlignedText]) {
        var text = text
        if addPrefixSpace && text.scalars.first != 0x20 && !text.scalars.isEmpty {
            var prefixed = AlignedText(scalars: [], sources: [])
            prefixed.append(0x20, from: text, at: 0)
            for i in 0..<text.count { prefixed.append(text.scalars[i], from: text, at: i) }
            text = prefixed
        }
        let ranges = useRegex ? GPT2Scanner.matches(text.scalars[...]) : [0..<text.count]
        var bytes: [UInt8] = []
        for range in ranges {
            var piece = AlignedText(scalars: [], sources: [])
            for i in range {
                bytes.removeAll(keepingCapacity: true)
                UTF8Coding.append(text.scalars[i], to: &bytes)
                for b in bytes { piece.append(ByteLevelAlphabet.scalar(b), from: text, at: i) }
            }
            pieces.append(piece)
        }
    }
}

extension MetaspacePreTokenizer {
    func alignedSplit(_ text: AlignedText, atStart: Bool, into pieces: inout [AlignedText]) {
        var replaced = AlignedText(scalars: [], sources: [])
        if prepends(atStart: atStart) && !text.scalars.isEmpty && text.scalars.first != 0x20 && text.scalars.first != replacement {
            replaced.append(replacement, from: text, at: 0)
        }
        for (i, c) in text.scalars.enumerated() { replaced.append(c == 0x20 ? replacement : c, from: text, at: i) }
        guard splitPieces else { pieces.append(replaced); return }
        var start = 0
        for i in 1..<max(1, replaced.count) where replaced.scalars[i] == replacement {
            pieces.append(replaced[start..<i])
            start = i
        }
        if start < replaced.count { pieces.append(replaced[start..<replaced.count]) }
    }
}

extension TokenizerModel {
    /// Ids of `piece`, and for each the range of piece scalars it covers.
    public func tokenizeAligned(_ piece: [UInt32], into ids: inout [Int], ranges: inout [Range<Int>]) {
        switch self {
        case let wordPiece as WordPiece:
            var found: [Range<Int>]? = []
            wordPiece.tokenize(piece, into: &ids, ranges: &found)
            ranges += found!
        case let bpe as BPE:
            bpe.tokenizeAligned(piece, into: &ids, ranges: &ranges)
        default:
            let before = ids.count
            tokenize(piece, into: &ids)
            ranges += Array(repeating: 0..<piece.count, count: ids.count - before)
        }
    }
}

extension BPE {
    func tokenizeAligned(_ piece: [UInt32], into ids: inout [Int], ranges: inout [Range<Int>]) {
        guard !piece.isEmpty else { return }
        if ignoreMerges, let id = vocabulary[ByteString(UTF8Coding.encode(piece))] {
            ids.append(id)
            ranges.append(0..<piece.count)
            return
        }
        var symbolRanges: [Range<Int>]? = []
        var symbols = initialSymbols(piece, ranges: &symbolRanges)
        merge(&symbols, ranges: &symbolRanges)
        for s in symbols { ids.append(Int(s)) }
        ranges += symbolRanges!
    }
}
