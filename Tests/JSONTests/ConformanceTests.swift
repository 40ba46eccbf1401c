import JSON
import Testing

/// JSONTestSuite-style cases: y_ must parse, n_ must be rejected.
struct ConformanceTests {
    static let accepted: [(name: String, text: String)] = [
        ("y_array_empty", "[]"),
        ("y_array_nested_empty", "[[[]]]"),
        ("y_array_heterogeneous", #"[null, 1, "1", {}]"#),
        ("y_array_with_whitespace", " \t\r\n[ 1 ,\n2 ] \n"),
        ("y_object_empty", "{}"),
        ("y_object_simple", #"{"a":"b"}"#),
        ("y_object_empty_key", #"{"":0}"#),
        ("y_object_duplicated_key", #"{"a":"b","a":"c"}"#),
        ("y_object_nested", #"{"a":{"b":[{"c":null}]}}"#),
        ("y_structure_lonely_true", "true"),
        ("y_structure_lonely_false", "false"),
        ("y_structure_lonely_null", "null"),
        ("y_structure_lonely_int", "42"),
        ("y_structure_lonely_negative_real", "-0.1"),
        ("y_structure_lonely_string", #""asd""#),
        ("y_structure_whitespace_around", " [] "),
        ("y_number_0e1", "0e1"),
        ("y_number_0e+1", "0e+1"),
        ("y_number_real_capital_e", "1E22"),
        ("y_number_real_neg_exp", "1e-2"),
        ("y_number_real_pos_exponent", "1e+2"),
        ("y_number_minus_zero", "-0"),
        ("y_number_after_space", " 4"),
        ("y_number_real_fraction_exponent", "123.456e78"),
        ("y_number_huge_digits", "123456789012345678901234567890"),
        ("y_number_tiny_underflow", "1e-400"),
        ("y_string_escapes", #""\"\\\/\b\f\n\r\t""#),
        ("y_string_unicode_escape", #""\u0061\u30af\u30EA""#),
        ("y_string_surrogate_pair", #""\uD834\uDD1E""#),
        ("y_string_escaped_null", #""\u0000""#),
        ("y_string_utf8_raw", "\"€𝄞ü\""),
        ("y_string_u2028_raw", "\"\u{2028}\u{2029}\""),
        ("y_string_del_raw", "\"\u{7F}\""),
        ("y_string_noncharacter", "\"\u{FFFF}\u{10FFFF}\""),
    ]

    static let rejected: [(name: String, text: String)] = [
        ("n_empty", ""),
        ("n_only_whitespace", " \n "),
        ("n_array_trailing_comma", "[1,]"),
        ("n_array_double_comma", "[1,,2]"),
        ("n_array_leading_comma", "[,1]"),
        ("n_array_missing_comma", "[1 2]"),
        ("n_array_unclosed", "[1"),
        ("n_array_extra_close", "[1]]"),
        ("n_array_colon", #"["a": 1]"#),
        ("n_object_trailing_comma", #"{"a":1,}"#),
        ("n_object_unquoted_key", "{a:1}"),
        ("n_object_single_quotes", "{'a':1}"),
        ("n_object_missing_colon", #"{"a" 1}"#),
        ("n_object_missing_value", #"{"a":}"#),
        ("n_object_number_key", "{1:1}"),
        ("n_object_unclosed", #"{"a":1"#),
        ("n_object_comma_instead_of_colon", #"{"a",1}"#),
        ("n_comment_line", "[1] // c"),
        ("n_comment_block", "/* c */ [1]"),
        ("n_number_leading_zero", "01"),
        ("n_number_neg_leading_zero", "-01"),
        ("n_number_plus", "+1"),
        ("n_number_dot_start", ".5"),
        ("n_number_dot_end", "1."),
        ("n_number_exp_no_digits", "1e"),
        ("n_number_exp_sign_only", "1e+"),
        ("n_number_minus_only", "-"),
        ("n_number_minus_space", "- 1"),
        ("n_number_hex", "0x1F"),
        ("n_number_nan", "NaN"),
        ("n_number_infinity", "Infinity"),
        ("n_number_neg_infinity", "-Infinity"),
        ("n_number_huge_exp", "1e400"),
        ("n_number_fullwidth_digit", "１"),
        ("n_string_single_quote", "'a'"),
        ("n_string_unterminated", #""abc"#),
        ("n_string_raw_newline", "\"a\nb\""),
        ("n_string_raw_tab", "\"a\tb\""),
        ("n_string_raw_nul", "\"\u{0}\""),
        ("n_string_bad_escape", #""\x""#),
        ("n_string_escape_uppercase_u", #""\U0041""#),
        ("n_string_short_unicode", #""\u12""#),
        ("n_string_bad_hex", #""\u12G4""#),
        ("n_string_lone_high", #""\uD800""#),
        ("n_string_lone_low", #""\uDC00""#),
        ("n_string_high_then_char", #""\uD800x""#),
        ("n_string_two_highs", #""\uD800\uD800""#),
        ("n_string_backslash_at_end", #""\"#),
        ("n_literal_capital", "True"),
        ("n_literal_truncated", "tru"),
        ("n_literal_nul", "nul"),
        ("n_literal_trailing_letters", "truex"),
        ("n_structure_two_values", "1 2"),
        ("n_structure_bom", "\u{FEFF}1"),
        ("n_structure_form_feed_ws", "\u{0C}1"),
        ("n_structure_nbsp_ws", "\u{A0}1"),
        ("n_structure_nul_after", "1\u{0}"),
    ]

    @Test(arguments: accepted)
    func accepts(_ sample: (name: String, text: String)) {
        #expect(throws: Never.self, "\(sample.name)") { try JSONValue(parsing: sample.text) }
    }

    @Test(arguments: rejected)
    func rejects(_ sample: (name: String, text: String)) {
        #expect(throws: JSONError.self, "\(sample.name)") { try JSONValue(parsing: sample.text) }
    }

    @Test func scalarsAtTopLevel() throws {
        #expect(try JSONValue(parsing: "true") == .bool(true))
        #expect(try JSONValue(parsing: " null ") == .null)
        #expect(try JSONValue(parsing: #""x""#) == .string("x"))
        #expect(try JSONValue(parsing: "7") == .int(7))
    }

    @Test func structure() throws {
        let value = try JSONValue(parsing: #"{"a":[1,2.5,"x",true,null,{"b":{}}]}"#)
        let expected: JSONValue = ["a": [1, 2.5, "x", true, nil, ["b": [:]]]]
        #expect(value == expected)
        #expect(value["a"]?[5]?["b"]?.object?.isEmpty == true)
    }

    @Test func sameResultFromEveryInputShape() throws {
        let text = #"{"k":[1,"é",{"z":null}]}"#
        let bytes = Array(text.utf8)
        let expected = try JSONValue(parsing: text)
        #expect(try JSONValue(parsing: bytes) == expected)
        #expect(try JSONValue(parsing: ([32] + bytes + [32])[1...bytes.count]) == expected)
        #expect(try JSONValue(parsing: text.utf8) == expected)
        #expect(try JSONValue(parsing: AnyCollection(bytes)) == expected)
        let fromRaw = try bytes.withUnsafeBytes { raw throws -> JSONValue in try JSONValue(parsing: raw) }
        #expect(fromRaw == expected)
        let fromBuffer = try bytes.withUnsafeBufferPointer { buffer throws -> JSONValue in
            try JSONValue(parsing: buffer)
        }
        #expect(fromBuffer == expected)
    }
}
