/// An insertion-ordered JSON object.
///
/// Keys are compared by their UTF-8 bytes, not by Swift's canonical-equivalence
/// `String ==`, so `"a\u{300}"` and `"à"` are two different keys, as they are in JSON.
/// Setting an existing key keeps its position; setting nil removes it. When parsing,
/// a duplicate key's last value wins at the first position.
///
/// Two objects are equal when they hold the same keys with equal values, in any order.
public struct JSONObject: Sendable {
    public typealias Element = (key: String, value: JSONValue)

    private var entries: [Element] = []
    /// Key to position in `entries`; built only once the object is large enough
    /// that a linear scan stops being cheaper.
    private var index: [ByteKey: Int] = [:]

    private static let indexThreshold = 12

    public init() {}

    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { entries[$0].value } }
        set {
            if let newValue { updateValue(newValue, forKey: key) } else { removeValue(forKey: key) }
        }
    }

    /// The keys in insertion order.
    public var keys: [String] { entries.map(\.key) }
    /// The values in key insertion order.
    public var values: [JSONValue] { entries.map(\.value) }
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// Sets `value` for `key`; an existing key keeps its position. Returns the old value.
    @discardableResult
    public mutating func updateValue(_ value: JSONValue, forKey key: String) -> JSONValue? {
        if let at = position(of: key) {
            let old = entries[at].value
            entries[at].value = value
            return old
        }
        entries.append((key, value))
        if !index.isEmpty {
            index[ByteKey(key)] = entries.count - 1
        } else if entries.count > Self.indexThreshold {
            rebuildIndex()
        }
        return nil
    }

    /// Removes `key` and returns its value, if present. O(count).
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let at = position(of: key) else { return nil }
        let old = entries.remove(at: at).value
        if !index.isEmpty { rebuildIndex() }
        return old
    }

    private func position(of key: String) -> Int? {
        if !index.isEmpty { return index[ByteKey(key)] }
        return entries.firstIndex { ByteKey.same($0.key, key) }
    }

    private mutating func rebuildIndex() {
        index.removeAll(keepingCapacity: true)
        if entries.count <= Self.indexThreshold { return }
        for (at, entry) in entries.enumerated() { index[ByteKey(entry.key)] = at }
    }
}

extension JSONObject: Sequence {
    public func makeIterator() -> IndexingIterator<[Element]> { entries.makeIterator() }
    public var underestimatedCount: Int { entries.count }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Duplicate keys: the last value wins, at the first key's position.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        for (key, value) in elements { updateValue(value, forKey: key) }
    }
}

extension JSONObject: Hashable {
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (key, value) in lhs.entries where rhs[key] != value { return false }
        return true
    }

    /// Order-independent, to agree with `==`.
    public func hash(into hasher: inout Hasher) {
        var sum = 0
        for (key, value) in entries {
            var entryHasher = Hasher()
            entryHasher.combine(ByteKey(key))
            entryHasher.combine(value)
            sum = sum &+ entryHasher.finalize()
        }
        hasher.combine(entries.count)
        hasher.combine(sum)
    }
}

/// A dictionary key that compares strings by UTF-8 bytes.
private struct ByteKey: Hashable {
    let string: String

    init(_ string: String) { self.string = string }

    static func same(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
    }

    static func == (lhs: ByteKey, rhs: ByteKey) -> Bool { same(lhs.string, rhs.string) }

    func hash(into hasher: inout Hasher) {
        let done: Void? = string.utf8.withContiguousStorageIfAvailable {
            hasher.combine(bytes: UnsafeRawBufferPointer($0))
        }
        if done == nil {
            Array(string.utf8).withUnsafeBytes { hasher.combine(bytes: $0) }
        }
        hasher.combine(0xFF as UInt8)  // not a UTF-8 byte: terminates the key
    }
}
