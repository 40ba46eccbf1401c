extension BPE {
    /// Applies the lowest-ranked merge (leftmost on ties) until none applies. Short words scan
    /// all pairs each round; long ones (SentencePiece sends whole lines) use a linked list and a
    /// heap of candidate merges, O(n log n). `ranges`, when given, follow the symbols.
    func merge(_ symbols: inout [Int32], ranges: inout [Range<Int>]?) {
        if symbols.count <= 32 {
            mergeByScanning(&symbols, ranges: &ranges)
        } else {
            mergeWithHeap(&symbols, ranges: &ranges)
        }
    }

    @inline(__always)
    func pairValue(_ a: Int32, _ b: Int32) -> UInt64? {
        merges[UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))]
    }

    func mergeByScanning(_ symbols: inout [Int32], ranges: inout [Range<Int>]?) {
        while symbols.count > 1 {
            var best = UInt64.max
            var at = -1
            for i in 0..<(symbols.count - 1) {
                if let value = pairValue(symbols[i], symbols[i + 1]), value < best {
                    best = value
                    at = i
                }
            }
            if at < 0 { return }
            symbols[at] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
            symbols.remove(at: at + 1)
            if ranges != nil {
                ranges![at] = ranges![at].lowerBound..<ranges![at + 1].upperBound
                ranges!.remove(at: at + 1)
            }
        }
    }

    func mergeWithHeap(_ symbols: inout [Int32], ranges: inout [Range<Int>]?) {
        let n = symbols.count
        var next = Array(1...n)          // n: none
        var previous = Array(-1..<(n - 1))
        var alive = [Bool](repeating: true, count: n)
        // Candidates keyed by rank << 32 | position: the smallest is the lowest rank, leftmost.
        var heap = MinHeap()
        func push(_ i: Int) {
            let j = next[i]
            guard j < n, let value = pairValue(symbols[i], symbols[j]) else { return }
            heap.push((value >> 32) << 32 | UInt64(i))
        }
        for i in 0..<(n - 1) { push(i) }
        while let top = heap.pop() {
            let i = Int(top & 0xFFFF_FFFF), rank = top >> 32
            guard alive[i], next[i] < n, let value = pairValue(symbols[i], symbols[next[i]]), value >> 32 == rank else { continue }
            let j = next[i]
            symbols[i] = Int32(truncatingIfNeeded: value & 0xFFFF_FFFF)
            if ranges != nil { ranges![i] = ranges![i].lowerBound..<ranges![j].upperBound }
            alive[j] = false
            next[i] = next[j]
            if next[j] < n { previous[next[j]] = i }
            if previous[i] >= 0 { push(previous[i]) }
            push(i)
        }
        var kept: [Int32] = []
        var keptRanges: [Range<Int>] = []
        kept.reserveCapacity(n)
        var i = 0
        while i < n {
            kept.append(symbols[i])
            if ranges != nil { keptRanges.append(ranges![i]) }
            i = next[i]
        }
        symbols = kept
        if ranges != nil { ranges = keptRanges }
    }
}

/// A binary min-heap of UInt64 keys.
struct MinHeap {
    private var items: [UInt64] = []

    mutating func push(_ key: UInt64) {
        items.append(key)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if items[parent] <= items[i] { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < items.count && items[l] < items[smallest] { smallest = l }
                if r < items.count && items[r] < items[smallest] { smallest = r }
                if smallest == i { break }
                items.swapAt(i, smallest)
                i = smallest
            }
        }
        return top
    }
}
