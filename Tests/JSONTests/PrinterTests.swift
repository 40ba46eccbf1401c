import JSON
import Testing

struct PrinterTests {
    @Test func compactByDefault() {
        let value: JSONValue = ["a": 1, "b": [true, nil]]
        #expect(value.encoded() == #"{"a":1,"b":[true,null]}"#)
        #expect(value.encodedBytes() == Array(#"{"a":1,"b":[true,null]}"#.utf8))
    }

    @Test func pretty() {
        let value: JSONValue = ["a": 1, "b": [true, nil, [:], []], "c": ["d": "e"]]
        let expected = """
            {
              "a": 1,
              "b": [
                true,
                null,
                {},
                []
              ],
              "c": {
                "d": "e"
              }
            }
            """
        #expect(value.encoded(pretty: true) == expected)
        #expect(JSONValue.array([]).encoded(pretty: true) == "[]")
        #expect(JSONValue.int(1).encoded(pretty: true) == "1")
    }

    @Test(arguments: [
        ("\"", #""\"""#), ("\\", #""\\""#), ("/", #""/""#), ("\u{8}", #""\b""#), ("\u{C}", #""\f""#),
        ("\n", #""\n""#), ("\r", #""\r""#), ("\t", #""\t""#), ("\u{0}", #""\u0000""#),
        ("\u{1F}", #""\u001f""#), ("\u{7F}", "\"\u{7F}\""), ("é€😀", "\"é€😀\""),
        ("a\"b\\c\nd", #""a\"b\\c\nd""#), ("\u{2028}", "\"\u{2028}\""),
    ])
    func stringEscapes(_ string: String, _ expected: String) {
        #expect(JSONValue.string(string).encoded() == expected)
    }

    @Test func keysAreEscapedToo() {
        let value: JSONValue = ["a\"\n": 1]
        #expect(value.encoded() == #"{"a\"\n":1}"#)
    }

    @Test func integralDoublesStayDoubles() throws {
        for number in [0.0, 1.0, -3.0, 1e15, 1e16, 1e300] {
            let back = try JSONValue(parsing: JSONValue.double(number).encoded())
            #expect(back == .double(number))
        }
    }

    @Test(arguments: [
        #"{"z":1,"a":[1,2.5,-0.0,"\u0000\"\\\n",true,false,null],"m":{"":{}},"u":"\u00e9\ud83d\ude00"}"#,
        #"[9223372036854775807,-9223372036854775808,9223372036854775808,1e-07,5e-324]"#,
        "\"\u{10FFFF}\"",
    ])
    func roundTrip(_ text: String) throws {
        let value = try JSONValue(parsing: text)
        #expect(try JSONValue(parsing: value.encoded()) == value)
        #expect(try JSONValue(parsing: value.encodedBytes()) == value)
        #expect(try JSONValue(parsing: value.encoded(pretty: true)) == value)
        // Printing is a fixed point after one pass.
        #expect(try JSONValue(parsing: value.encoded()).encoded() == value.encoded())
    }

    @Test func largeDocument() throws {
        var elements: [JSONValue] = []
        for index in 0..<20_000 {
            elements.append(["id": .int(Int64(index)), "name": "item \(index) \u{E9}\n", "score": .double(Double(index) / 7)])
        }
        let value = JSONValue.array(elements)
        let bytes = value.encodedBytes()
        #expect(bytes.count > 1_000_000)
        let back = try JSONValue(parsing: bytes)
        #expect(back == value)
        #expect(back[19_999]?["name"]?.string == "item 19999 \u{E9}\n")
    }
}
