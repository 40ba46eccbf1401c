import JSON

/// A JSON value with the path that led to it, so every loading error can name its place.
struct JSONNode {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String) {
        self.value = value
        self.path = path
    }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The member `key`, nil when absent or null.
    func optional(_ key: String) throws(TokenizerError) -> JSONNode? {
        guard case .object(let object) = value else {
            throw .malformed(path: path.isEmpty ? "$" : path, reason: "expected an object, found \(value.typeName)")
        }
        guard let member = object[key], !member.isNull else { return nil }
        return JSONNode(member, path: child(key))
    }

    func required(_ key: String) throws(TokenizerError) -> JSONNode {
        guard let node = try optional(key) else { throw .malformed(path: child(key), reason: "missing") }
        return node
    }

    var isNull: Bool { value.isNull }

    func string() throws(TokenizerError) -> String {
        guard let s = value.string else { throw .malformed(path: path, reason: "expected a string, found \(value.typeName)") }
        return s
    }

    func int() throws(TokenizerError) -> Int {
        guard let i = value.int else { throw .malformed(path: path, reason: "expected an integer, found \(value.typeName)") }
        return i
    }

    func bool() throws(TokenizerError) -> Bool {
        guard let b = value.bool else { throw .malformed(path: path, reason: "expected a boolean, found \(value.typeName)") }
        return b
    }

    func array() throws(TokenizerError) -> [JSONNode] {
        guard let items = value.array else { throw .malformed(path: path, reason: "expected an array, found \(value.typeName)") }
        return items.enumerated().map { JSONNode($0.element, path: "\(path)[\($0.offset)]") }
    }

    func object() throws(TokenizerError) -> [(key: String, node: JSONNode)] {
        guard let object = value.object else { throw .malformed(path: path, reason: "expected an object, found \(value.typeName)") }
        return object.map { ($0.key, JSONNode($0.value, path: child($0.key))) }
    }

    func string(_ key: String) throws(TokenizerError) -> String { try required(key).string() }
    func string(_ key: String, default fallback: String) throws(TokenizerError) -> String {
        try optional(key)?.string() ?? fallback
    }
    func int(_ key: String) throws(TokenizerError) -> Int { try required(key).int() }
    func int(_ key: String, default fallback: Int) throws(TokenizerError) -> Int { try optional(key)?.int() ?? fallback }
    func bool(_ key: String, default fallback: Bool) throws(TokenizerError) -> Bool {
        try optional(key)?.bool() ?? fallback
    }
    func type() throws(TokenizerError) -> String { try string("type") }
}
