/// Ordered header fields. Names compare ASCII-case-insensitively; order and duplicates are kept.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public typealias Element = (name: String, value: String)

    var fields: [Element]

    public init() { fields = [] }

    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { (name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    /// The first value for `name`.
    public subscript(name: String) -> String? {
        for field in fields where ASCII.equalsIgnoringCase(field.name, name) { return field.value }
        return nil
    }

    /// Every value for `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { ASCII.equalsIgnoringCase($0.name, name) }.map(\.value)
    }

    public mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces every field named `name` by one, at the position of the first.
    public mutating func set(_ name: String, _ value: String) {
        guard let first = fields.firstIndex(where: { ASCII.equalsIgnoringCase($0.name, name) }) else {
            add(name, value)
            return
        }
        fields[first] = (name: name, value: value)
        var i = fields.count - 1
        while i > first {
            if ASCII.equalsIgnoringCase(fields[i].name, name) { fields.remove(at: i) }
            i -= 1
        }
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { ASCII.equalsIgnoringCase($0.name, name) }
    }

    public func contains(_ name: String) -> Bool {
        fields.contains { ASCII.equalsIgnoringCase($0.name, name) }
    }

    /// Whether any `name` field, read as a comma-separated list, contains `token` (ignoring case).
    public func containsToken(_ name: String, _ token: String) -> Bool {
        fields.contains { ASCII.equalsIgnoringCase($0.name, name) && ASCII.listContains($0.value, token) }
    }

    public func makeIterator() -> IndexingIterator<[Element]> { fields.makeIterator() }

    public var description: String {
        fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }
}
