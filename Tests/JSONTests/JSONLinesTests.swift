import JSON
import Testing

struct JSONLinesTests {
    private func lines(_ text: String) -> [(Int, String)] {
        JSONLines.lines(Array(text.utf8)).map { ($0.number, String(decoding: $0.bytes, as: UTF8.self)) }
    }

    @Test func numbersCountSkippedBlankLines() {
        let result = lines("{\"a\":1}\n\n  \t\n{\"a\":2}\r\n\r\n[3]")
        #expect(result.map(\.0) == [1, 4, 6])
        #expect(result.map(\.1) == [#"{"a":1}"#, #"{"a":2}"#, "[3]"])
    }

    @Test func edges() {
        #expect(lines("").isEmpty)
        #expect(lines("\n\n").isEmpty)
        #expect(lines("1").map(\.0) == [1])
        #expect(lines("1\n").map(\.0) == [1])
        #expect(lines("\n1\n\n").map(\.0) == [2])
        #expect(lines("1\r\r\n").map(\.1) == ["1\r"])  // only one trailing "\r" is removed
        #expect(lines(" 1 \n").map(\.1) == [" 1 "])
    }

    @Test func slicesShareIndicesAndParse() throws {
        let bytes = Array("{\"n\":1}\n\n{\"n\":2}\n{bad\n".utf8)
        let result = JSONLines.lines(bytes)
        #expect(result.map(\.number) == [1, 3, 4])
        #expect(result[1].bytes.startIndex == 9)
        #expect(try JSONValue(parsing: result[0].bytes)["n"] == .int(1))
        #expect(try JSONValue(parsing: result[1].bytes)["n"] == .int(2))
        #expect(throws: JSONError(offset: 1, reason: "unexpected character 'b'")) {
            try JSONValue(parsing: result[2].bytes)
        }
    }
}
