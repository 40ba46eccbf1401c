extension JSONValue {
    /// The value as JSON text: compact (`{"a":1,"b":[true,null]}`) unless `pretty`,
    /// which indents by 2 spaces. Object members keep their insertion order.
    public func encoded(pretty: Bool = false) -> String {
        String(decoding: encodedBytes(pretty: pretty), as: UTF8.self)
    }

    /// The value as UTF-8 JSON text; compact unless `pretty`.
    public func encodedBytes(pretty: Bool = false) -> [UInt8] {
        var printer = JSONPrinter(pretty: pretty)
        printer.write(self)
        return printer.output
    }
}
