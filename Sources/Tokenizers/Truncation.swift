import JSON

/// How long inputs are cut (tokenizer.json `truncation`, or set by the caller).
public struct Truncation: Sendable, Equatable {
    public enum Strategy: String, Sendable { case longestFirst = "LongestFirst", onlyFirst = "OnlyFirst", onlySecond = "OnlySecond" }
    public enum Direction: String, Sendable { case left = "Left", right = "Right" }

    /// The length of the result, special tokens included.
    public var maxLength: Int
    public var strategy: Strategy
    /// Tokens repeated between consecutive overflowing windows.
    public var stride: Int
    public var direction: Direction

    public init(maxLength: Int, strategy: Strategy = .longestFirst, stride: Int = 0, direction: Direction = .right) {
        self.maxLength = maxLength
        self.strategy = strategy
        self.stride = stride
        self.direction = direction
    }

    init(_ node: JSONNode) throws(TokenizerError) {
        maxLength = try node.int("max_length")
        let strategy = try node.string("strategy", default: "LongestFirst")
        guard let s = Strategy(rawValue: strategy) else { throw .unsupported(path: node.child("strategy"), type: strategy) }
        self.strategy = s
        stride = try node.int("stride", default: 0)
        let direction = try node.string("direction", default: "Right")
        guard let d = Direction(rawValue: direction) else { throw .unsupported(path: node.child("direction"), type: direction) }
        self.direction = d
        guard maxLength >= 0, stride >= 0 else { throw .malformed(path: node.child("max_length"), reason: "must not be negative") }
    }

    /// Cuts `first` (and `second`) so that together they hold at most `maxLength - added` tokens,
    /// the cut-off parts going to `overflowing` (in windows of the kept length, `stride` apart).
    func apply(_ first: inout Encoding, _ second: inout Encoding?, added: Int) {
        let budget = max(0, maxLength - added)
        let total = first.count + (second?.count ?? 0)
        guard total > budget else { return }
        switch strategy {
        case .longestFirst:
            guard var other = second else {
                cut(&first, to: budget)
                return
            }
            var n1 = first.count, n2 = other.count
            let swap = n1 > n2
            if swap { (n1, n2) = (n2, n1) }
            n2 = n1 > budget ? n1 : max(n1, budget - n1)
            if n1 + n2 > budget {
                n1 = budget / 2
                n2 = n1 + budget % 2
            }
            if swap { (n1, n2) = (n2, n1) }
            cut(&first, to: n1)
            cut(&other, to: n2)
            second = other
        case .onlyFirst:
            let keep = budget - (second?.count ?? 0)
            if keep > 0 { cut(&first, to: keep) }
        case .onlySecond:
            guard var other = second else { return }
            let keep = budget - first.count
            if keep > 0 { cut(&other, to: keep) }
            second = other
        }
    }

    /// Keeps `length` tokens; the rest becomes overflowing windows.
    func cut(_ encoding: inout Encoding, to length: Int) {
        guard encoding.count > length else { return }
        if length == 0 {
            encoding = Encoding.slice(encoding, 0..<0)
            return
        }
        let step = max(1, length - min(stride, length - 1))
        var windows: [Encoding] = []
        let n = encoding.count
        var start = 0
        while true {
            let range: Range<Int>
            if direction == .right {
                range = start..<min(n, start + length)
            } else {
                let end = n - start
                range = max(0, end - length)..<end
            }
            windows.append(Encoding.slice(encoding, range))
            if start + length >= n { break }
            start += step
        }
        encoding = windows[0]
        encoding.overflowing = Array(windows.dropFirst())
    }
}

/// How encodings are padded (tokenizer.json `padding`, or set by the caller).
public struct Padding: Sendable, Equatable {
    public enum Length: Sendable, Equatable { case longest, fixed(Int) }
    public var length: Length
    public var left: Bool
    public var padToMultipleOf: Int?
    public var padID: Int
    public var padTypeID: Int

    public init(length: Length = .longest, left: Bool = false, padToMultipleOf: Int? = nil, padID: Int = 0, padTypeID: Int = 0) {
        self.length = length
        self.left = left
        self.padToMultipleOf = padToMultipleOf
        self.padID = padID
        self.padTypeID = padTypeID
    }

    init(_ node: JSONNode) throws(TokenizerError) {
        let strategy = try node.required("strategy")
        if case .string("BatchLongest") = strategy.value {
            length = .longest
        } else if let fixed = try? strategy.optional("Fixed") {
            length = .fixed(try fixed.int())
        } else {
            throw .malformed(path: strategy.path, reason: "expected \"BatchLongest\" or {\"Fixed\": n}")
        }
        let direction = try node.string("direction", default: "Right")
        guard direction == "Left" || direction == "Right" else { throw .unsupported(path: node.child("direction"), type: direction) }
        left = direction == "Left"
        padToMultipleOf = try node.optional("pad_to_multiple_of")?.int()
        padID = try node.int("pad_id", default: 0)
        padTypeID = try node.int("pad_type_id", default: 0)
    }

    /// Pads every encoding to the target length (the longest one, or the fixed length).
    func apply(_ encodings: inout [Encoding]) {
        var target: Int
        switch length {
        case .longest: target = encodings.map(\.count).max() ?? 0
        case .fixed(let n): target = n
        }
        if let m = padToMultipleOf, m > 0, target % m != 0 { target += m - target % m }
        for i in encodings.indices { encodings[i].pad(to: target, id: padID, typeID: padTypeID, left: left) }
    }
}
