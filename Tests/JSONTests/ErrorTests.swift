import JSON
import Testing

struct ErrorTests {
    @Test(arguments: [
        ("", 0, "unexpected end of input"),
        ("   ", 3, "unexpected end of input"),
        ("x", 0, "unexpected character 'x'"),
        ("[1,2", 4, "unexpected end of input"),
        ("[1 2]", 3, "unexpected character '2'"),
        ("[1,]", 2, "trailing comma"),
        (#"{"a":1 , }"#, 7, "trailing comma"),
        ("[1] x", 4, "trailing data after value"),
        ("1 2", 2, "trailing data after value"),
        (#"{"abc":1,"de"#, 9, "unterminated string"),
        (#""abc"#, 0, "unterminated string"),
        (#"["\u00"]"#, 2, #"invalid \u escape"#),
        (#"["\u12"#, 1, "unterminated string"),
        (#"  "\x""#, 3, #"invalid escape '\x'"#),
        ("\"ab\ncd\"", 3, "unescaped control character 0x0A in string"),
        ("\"\u{1F}\"", 1, "unescaped control character 0x1F in string"),
        ("01", 0, "leading zero in number"),
        ("[-012]", 2, "leading zero in number"),
        ("1.", 2, "unexpected end of input"),
        ("[1.e5]", 3, "unexpected character 'e'"),
        ("-x", 1, "unexpected character 'x'"),
        ("1e400", 0, "number out of range"),
        ("[-1e999]", 1, "number out of range"),
        ("nul", 3, "unexpected end of input"),
        ("[nulL]", 4, "unexpected character 'L'"),
        (#"{"a" 1}"#, 5, "unexpected character '1'"),
        ("{'a':1}", 1, "unexpected character '''"),
        ("[1]\u{0}", 3, "trailing data after value"),
        ("\u{0C}[]", 0, "unexpected control character 0x0C"),
        ("[é]", 1, "unexpected character 'é'"),
        ("\u{FEFF}{}", 0, "unexpected character '\u{FEFF}'"),
    ])
    func offsetsAndReasons(_ text: String, _ offset: Int, _ reason: String) {
        #expect(throws: JSONError(offset: offset, reason: reason)) { try JSONValue(parsing: text) }
    }

    @Test func description() {
        let error = JSONError(offset: 12, reason: "unterminated string")
        #expect(error.description == "invalid JSON at byte 12: unterminated string")
        #expect("\(error)" == "invalid JSON at byte 12: unterminated string")
    }

    @Test func offsetsCountFromTheStartOfASlice() {
        let bytes = Array(#"ignored [1,]"#.utf8)
        #expect(throws: JSONError(offset: 2, reason: "trailing comma")) {
            try JSONValue(parsing: bytes[8...])
        }
    }

    @Test func depthLimit() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        }
        #expect(throws: Never.self) { try JSONValue(parsing: nested(256)) }
        #expect(throws: JSONError(offset: 256, reason: "nesting deeper than 256")) {
            try JSONValue(parsing: nested(257))
        }
        #expect(throws: JSONError(offset: 11, reason: "nesting deeper than 3")) {
            try JSONValue(parsing: #"{"a":[{"b":[]}]}"#.utf8, maxDepth: 3).encoded()
        }
        // Depth counts nesting, not how many containers appear in total.
        let wide = "[" + Array(repeating: "[[]]", count: 1000).joined(separator: ",") + "]"
        #expect(try JSONValue(parsing: wide, maxDepth: 3).array?.count == 1000)
        #expect(try JSONValue(parsing: "7", maxDepth: 0) == .int(7))
        #expect(throws: JSONError(offset: 0, reason: "nesting deeper than 0")) {
            try JSONValue(parsing: "[]", maxDepth: 0)
        }
        // Far past the limit still fails cleanly instead of exhausting the stack.
        #expect(throws: JSONError.self) { try JSONValue(parsing: String(repeating: "[", count: 1_000_000)) }
    }
}
