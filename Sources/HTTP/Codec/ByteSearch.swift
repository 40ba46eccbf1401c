/// Boyer-Moore-Horspool search for a fixed byte string, used to find multipart delimiters in large bodies.
struct ByteSearch {
    let needle: [UInt8]
    /// How far to shift when the byte under the needle's last position is `b`.
    let shift: [Int]

    init(_ needle: [UInt8]) {
        precondition(!needle.isEmpty)
        self.needle = needle
        var shift = [Int](repeating: needle.count, count: 256)
        for i in 0..<needle.count - 1 { shift[Int(needle[i])] = needle.count - 1 - i }
        self.shift = shift
    }

    func firstIndex(in haystack: [UInt8], from: Int) -> Int? {
        let n = needle.count
        guard from >= 0, haystack.count - from >= n else { return nil }
        return haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { pattern in
                var i = from
                let last = hay.count - n
                while i <= last {
                    let tail = hay[i + n - 1]
                    if tail == pattern[n - 1] {
                        var j = n - 2
                        while j >= 0 && hay[i + j] == pattern[j] { j -= 1 }
                        if j < 0 { return i }
                    }
                    i += shift[Int(tail)]
                }
                return nil
            }
        }
    }
}
