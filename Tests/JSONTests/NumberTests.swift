import JSON
import Testing

struct NumberTests {
    @Test(arguments: [
        ("0", Int64(0)),
        ("-1", -1),
        ("9007199254740992", 9_007_199_254_740_992),  // 2^53
        ("9007199254740993", 9_007_199_254_740_993),  // 2^53 + 1: not a Double
        ("9223372036854775807", Int64.max),
        ("-9223372036854775808", Int64.min),
    ])
    func integersAreExact(_ text: String, _ expected: Int64) throws {
        let value = try JSONValue(parsing: text)
        #expect(value == .int(expected))
        #expect(value.int64 == expected)
        #expect(value.encoded() == text)
    }

    @Test(arguments: [
        ("9223372036854775808", 9_223_372_036_854_775_808.0),  // Int64.max + 1
        ("-9223372036854775809", -9_223_372_036_854_775_809.0),  // Int64.min - 1
        ("123456789012345678901234567890", 1.2345678901234568e29),
        ("1.0", 1.0),
        ("1e3", 1000.0),
        ("1E+3", 1000.0),
        ("2.5e-3", 0.0025),
        ("0.0", 0.0),
    ])
    func otherNumbersAreDoubles(_ text: String, _ expected: Double) throws {
        #expect(try JSONValue(parsing: text) == .double(expected))
    }

    @Test func negativeZeroKeepsItsSign() throws {
        let value = try JSONValue(parsing: "-0")
        guard case .double(let number) = value else {
            Issue.record("expected .double, got \(value)")
            return
        }
        #expect(number == 0 && number.sign == .minus)
        #expect(value.encoded() == "-0.0")
        #expect(try JSONValue(parsing: "-0.0").double?.sign == .minus)
    }

    @Test(arguments: [
        0.1, 1e-7, 5e-324, 1.7976931348623157e308, 123456789.123456789,
        -2.2250738585072014e-308, 0.30000000000000004, 1e21, 1e-5, 4.35, 100.0, 2.0e16,
        Double.pi, -1.5, 9007199254740993.0,
    ])
    func doublesRoundTrip(_ number: Double) throws {
        let text = JSONValue.double(number).encoded()
        let back = try JSONValue(parsing: text)
        guard case .double(let parsed) = back else {
            Issue.record("\(text) parsed as \(back), not a double")
            return
        }
        #expect(parsed.bitPattern == number.bitPattern, "\(text)")
    }

    @Test(arguments: [
        ("0.1", 0.1), ("5e-324", 5e-324), ("1.7976931348623157e308", 1.7976931348623157e308),
        ("123456789.123456789", 123456789.123456789),
        // Halfway between two doubles in a long decimal: must round to even correctly.
        ("9007199254740993.0", 9007199254740992.0),
        ("2.4703282292062327e-324", 0.0), ("2.4703282292062328e-324", 5e-324),
    ])
    func doublesParseCorrectlyRounded(_ text: String, _ expected: Double) throws {
        #expect(try JSONValue(parsing: text).double?.bitPattern == expected.bitPattern)
    }

    @Test func printedForms() {
        #expect(JSONValue.double(1.0).encoded() == "1.0")
        #expect(JSONValue.double(1e-5).encoded() == "1e-05")
        #expect(JSONValue.double(1e16).encoded() == "1e+16")
        #expect(JSONValue.double(.infinity).encoded() == "null")
        #expect(JSONValue.double(-.infinity).encoded() == "null")
        #expect(JSONValue.double(.nan).encoded() == "null")
        #expect(JSONValue.int(-42).encoded() == "-42")
    }

    @Test func accessors() {
        #expect(JSONValue.double(3.0).int == 3)
        #expect(JSONValue.double(3.5).int == nil)
        #expect(JSONValue.double(1e300).int == nil)
        #expect(JSONValue.double(.nan).int64 == nil)
        #expect(JSONValue.int(7).double == 7.0)
        #expect(JSONValue.int(Int64.min).int64 == Int64.min)
        #expect(JSONValue.string("3").int == nil)
        #expect(JSONValue.bool(true).double == nil)
    }
}
