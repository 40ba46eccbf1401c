import JSON

/// Byte-pair encoding: start from single characters and apply the best-ranked merge until
/// none applies. Vocabulary keyed by UTF-8 bytes; merges as a pair-of-ids to (rank, id) table.
public struct BPE: TokenizerModel {
    public let vocabulary: [ByteString: Int]
    let tokens: [ByteString]
    /// (left id << 32 | right id) -> rank << 32 | merged id
    let merges: [UInt64: UInt64]
    public let unknownID: Int?
    public let fuseUnknown: Bool
    public let byteFallback: Bool
    public let ignoreMerges: Bool
    let prefix: [UInt8]
    let suffix: [UInt8]
    /// The id of each single byte scalar of the alphabet when it is in the vocabulary (fast path).
    let asciiIDs: [Int32]

    public init(vocabulary: [ByteString: Int], merges: [(ByteString, ByteString)], unknownToken: String? = nil,
                fuseUnknown: Bool = false, byteFallback: Bool = false, ignoreMerges: Bool = false,
                continuingSubwordPrefix: String = "", endOfWordSuffix: String = "",
                path: String = "model.merges") throws(TokenizerError) {
        self.vocabulary = vocabulary
        tokens = try ModelFactory.tokens(of: vocabulary, path: "model.vocab")
        prefix = Array(continuingSubwordPrefix.utf8)
        suffix = Array(endOfWordSuffix.utf8)
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            guard let left = vocabulary[a], let right = vocabulary[b] else {
                throw .malformed(path: "\(path)[\(rank)]", reason: "a merge of a token that is not in the vocabulary")
            }
            var joined = a.bytes
            joined.append(contentsOf: prefix.isEmpty || !b.bytes.starts(with: prefix) ? b.bytes[...] : b.bytes.dropFirst(prefix.count))
            guard let merged = vocabulary[ByteString(joined)] else {
                throw .malformed(path: "\(path)[\(rank)]", reason: "the merged token is not in the vocabulary")
            }
            // A pair listed twice keeps its last rank, as tokenizers' merge map does.
            table[UInt64(left) << 32 | UInt64(right)] = UInt64(rank) << 32 | UInt64(merged)
        }
        self.merges = table
        if let unknownToken {
            guard let id = vocabulary[ByteString(unknownToken)] else {
                throw .malformed(path: "model.unk_token", reason: "\"\(unknownToken)\" is not in the vocabulary")
            }
            unknownID = id
        } else {
            unknownID = nil
        }
        self.fuseUnknown = fuseUnknown
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        asciiIDs = (0..<128).map { b in Int32(vocabulary[ByteString([UInt8(b)])] ?? -1) }
    }

    init(_ node: JSONNode) throws(TokenizerError) {
        let vocabulary = try ModelFactory.vocabulary(try node.required("vocab"))
        let mergesNode = try node.required("merges")
        var merges: [(ByteString, ByteString)] = []
        for entry in try mergesNode.array() {
            if let pair = entry.value.array {
                guard pair.count == 2, let a = pair[0].string, let b = pair[1].string else {
                    throw .malformed(path: entry.path, reason: "expected two strings")
                }
                merges.append((ByteString(a), ByteString(b)))
            } else {
                let parts = try entry.string().utf8.split(separator: 32, maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw .malformed(path: entry.path, reason: "expected \"left right\"") }
                merges.append((ByteString(Array(parts[0])), ByteString(Array(parts[1]))))
            }
        }
        try self.init(vocabulary: vocabulary, merges: merges, unknownToken: try node.optional("unk_token")?.string(),
                      fuseUnknown: try node.bool("fuse_unk", default: false),
                      byteFallback: try node.bool("byte_fallback", default: false),
                      ignoreMerges: try node.bool("ignore_merges", default: false),
                      continuingSubwordPrefix: try node.string("continuing_subword_prefix", default: ""),
                      endOfWordSuffix: try node.string("end_of_word_suffix", default: ""),
                      path: mergesNode.path)
    }

    public var vocabularySize: Int { tokens.count }
    public func id(of token: ByteString) -> Int? { vocabulary[token] }
    public func token(of id: Int) -> String? { id >= 0 && id < tokens.count ? tokens[id].string : nil }

    public func tokenize(_ piece: [UInt32], into ids: inout [Int]) {
        guard !piece.isEmpty else { return }
        if ignoreMerges, let id = vocabulary[ByteString(UTF8Coding.encode(piece))] {
            ids.append(id)
            return
        }
        var symbols = initialSymbols(piece)
        var none: [Range<Int>]? = nil
        merge(&symbols, ranges: &none)
        for s in symbols { ids.append(Int(s)) }
    }

    /// One id per character; unknown characters become bytes (byte fallback), `unk` or nothing.
    func initialSymbols(_ piece: [UInt32]) -> [Int32] {
        var none: [Range<Int>]? = nil
        return initialSymbols(piece, ranges: &none)
    }

    /// With `ranges` non-nil, also the scalar each symbol comes from (fused unknowns: a run).
    func initialSymbols(_ piece: [UInt32], ranges: inout [Range<Int>]?) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(piece.count)
        let plain = prefix.isEmpty && suffix.isEmpty
        var key = ByteString([])
        var lastWasUnknown = false
        for (n, c) in piece.enumerated() {
            if plain && c < 128 && asciiIDs[Int(c)] >= 0 {
                symbols.append(asciiIDs[Int(c)])
                ranges?.append(n..<(n + 1))
                lastWasUnknown = false
                continue
            }
            key.bytes.removeAll(keepingCapacity: true)
            if n > 0 { key.bytes.append(contentsOf: prefix) }
            UTF8Coding.append(c, to: &key.bytes)
            if n == piece.count - 1 { key.bytes.append(contentsOf: suffix) }
            if let id = vocabulary[key] {
                symbols.append(Int32(id))
                ranges?.append(n..<(n + 1))
                lastWasUnknown = false
                continue
            }
            if byteFallback {
                var utf8: [UInt8] = []
                UTF8Coding.append(c, to: &utf8)
                let fallback = utf8.compactMap { vocabulary[ByteString(Self.byteToken($0))] }
                if fallback.count == utf8.count {
                    symbols.append(contentsOf: fallback.map { Int32($0) })
                    ranges?.append(contentsOf: repeatElement(n..<(n + 1), count: fallback.count))
                    lastWasUnknown = false
                    continue
                }
            }
            if let unknownID {
                if !(fuseUnknown && lastWasUnknown) {
                    symbols.append(Int32(unknownID))
                    ranges?.append(n..<(n + 1))
                } else if ranges != nil, let last = ranges!.last {
                    ranges![ranges!.count - 1] = last.lowerBound..<(n + 1)
                }
                lastWasUnknown = true
            }
        }
        return symbols
    }

    static func byteToken(_ b: UInt8) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        return Array("<0x".utf8) + [hex[Int(b >> 4)], hex[Int(b & 15)], UInt8(ascii: ">")]
    }
}
