extension JSONValue {
    /// Parses one JSON document (RFC 8259) from UTF-8 bytes.
    ///
    /// Contiguous collections (`[UInt8]`, `ArraySlice<UInt8>`, `UnsafeBufferPointer`,
    /// `UnsafeRawBufferPointer`) are read in place; others are copied first.
    /// Error offsets count from the collection's first byte.
    /// - Parameter maxDepth: how many arrays and objects may nest; deeper input is an error.
    public init(parsing bytes: some Collection<UInt8>, maxDepth: Int = 256) throws(JSONError) {
        let result: Result<JSONValue, JSONError>
        if let raw = bytes as? UnsafeRawBufferPointer {
            result = raw.withMemoryRebound(to: UInt8.self) { JSONParser.parse($0, maxDepth: maxDepth) }
        } else if let direct = bytes.withContiguousStorageIfAvailable({ JSONParser.parse($0, maxDepth: maxDepth) }) {
            result = direct
        } else {
            result = Array(bytes).withUnsafeBufferPointer { JSONParser.parse($0, maxDepth: maxDepth) }
        }
        self = try result.get()
    }

    /// Parses one JSON document from a string's UTF-8.
    public init(parsing text: String, maxDepth: Int = 256) throws(JSONError) {
        var text = text
        self = try text.withUTF8 { JSONParser.parse($0, maxDepth: maxDepth) }.get()
    }
}
