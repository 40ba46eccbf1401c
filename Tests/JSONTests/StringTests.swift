import JSON
import Testing

struct StringTests {
    @Test(arguments: [
        (#""\"""#, "\""), (#""\\""#, "\\"), (#""\/""#, "/"), (#""\b""#, "\u{8}"),
        (#""\f""#, "\u{C}"), (#""\n""#, "\n"), (#""\r""#, "\r"), (#""\t""#, "\t"),
        (#""\u0041""#, "A"), (#""\u00e9""#, "é"), (#""\u00E9""#, "é"), (#""\u20AC""#, "€"),
        (#""\u0000""#, "\u{0}"), (#""\uFFFF""#, "\u{FFFF}"),
        (#""\uD834\uDD1E""#, "𝄞"), (#""\uD83D\uDE00""#, "😀"), (#""\uDBFF\uDFFF""#, "\u{10FFFF}"),
        (#""a\nb\u0063d""#, "a\nbcd"), (#""raw é, escaped \u00e9""#, "raw é, escaped é"),
    ])
    func escapes(_ text: String, _ expected: String) throws {
        let value = try JSONValue(parsing: text)
        #expect(value.string.map { Array($0.unicodeScalars) } == Array(expected.unicodeScalars))
    }

    @Test(arguments: [
        (#""\uD800""#, 1, #"lone surrogate \uD800"#),
        (#""\uDC00""#, 1, #"lone surrogate \uDC00"#),
        (#""ab\uDBFFx""#, 3, #"lone surrogate \uDBFF"#),
        (#""\uD800\u0041""#, 1, #"lone surrogate \uD800"#),
        (#""\uD800\uD800""#, 1, #"lone surrogate \uD800"#),
        (#""\uDE00\uD83D""#, 1, #"lone surrogate \uDE00"#),
    ])
    func loneSurrogates(_ text: String, _ offset: Int, _ reason: String) {
        #expect(throws: JSONError(offset: offset, reason: reason)) { try JSONValue(parsing: text) }
    }

    @Test(arguments: [
        ([0x22, 0xFF, 0x22], 1),  // never valid
        ([0x22, 0x80, 0x22], 1),  // stray continuation byte
        ([0x22, 0xC0, 0xAF, 0x22], 1),  // overlong "/"
        ([0x22, 0xC1, 0xBF, 0x22], 1),  // overlong
        ([0x22, 0xE0, 0x80, 0xAF, 0x22], 1),  // overlong 3-byte
        ([0x22, 0xF0, 0x80, 0x80, 0xAF, 0x22], 1),  // overlong 4-byte
        ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),  // U+D800 encoded in UTF-8
        ([0x22, 0xED, 0xBF, 0xBF, 0x22], 1),  // U+DFFF encoded in UTF-8
        ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),  // above U+10FFFF
        ([0x22, 0xF8, 0x88, 0x80, 0x80, 0x80, 0x22], 1),  // 5-byte form
        ([0x22, 0x61, 0xC3, 0x22], 2),  // truncated: quote is not a continuation
        ([0x22, 0x61, 0xE2, 0x82], 2),  // truncated at end of input
        ([0x5B, 0xC3, 0x5D], 1),  // outside a string: a lone lead byte
    ] as [([UInt8], Int)])
    func invalidUTF8(_ bytes: [UInt8], _ offset: Int) {
        #expect(throws: JSONError(offset: offset, reason: "invalid UTF-8")) { try JSONValue(parsing: bytes) }
    }

    @Test func validUTF8Boundaries() throws {
        let samples: [[UInt8]] = [
            [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
            [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
        ]
        for sample in samples {
            let value = try JSONValue(parsing: [0x22] + sample + [0x22])
            #expect(value.string.map { Array($0.utf8) } == sample)
        }
    }

    @Test func escapedStringsPreserveBytesAroundEscapes() throws {
        let long = String(repeating: "é€x", count: 200)
        let value = try JSONValue(parsing: "\"\(long)\\n\(long)\"")
        #expect(value.string == long + "\n" + long)
    }

    @Test func canonicallyEquivalentKeysStayDistinct() throws {
        // "e" + combining acute vs precomposed "é": Swift String == says equal, JSON does not.
        let value = try JSONValue(parsing: "{\"e\u{301}\":1,\"\u{E9}\":2}")
        #expect(value.object?.count == 2)
        #expect(value["e\u{301}"] == .int(1))
        #expect(value["\u{E9}"] == .int(2))
    }
}
