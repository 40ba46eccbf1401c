import Store
import Testing

@Suite struct BindRoundTripTests {
    static let strings = [
        "", "plain", "héllo wörld ✓ 日本語 🎉", "a'b\"c\\d", "line\nbreak\ttab", "NULL", "{}", "$1", "e\u{301}",
    ]

    @Test func stringsRoundTrip() throws {
        try withConnection { db in
            for value in Self.strings {
                let row = try #require(try db.query("SELECT \(value)::text AS v, length(\(value)) AS n").first)
                #expect(try row.decode(String.self, "v") == value)
                #expect(try row.decode(Int.self, "n") == value.unicodeScalars.count)
                // Byte-exact: String == would accept a canonically equivalent string.
                #expect(Array(try row.decode(String.self, "v").utf8) == Array(value.utf8))
            }
        }
    }

    @Test func integersRoundTrip() throws {
        try withConnection { db in
            for value in [Int.min, -1, 0, 1, Int.max] {
                let row = try #require(try db.query("SELECT \(value) AS v, \(value) = \(Int64(value)) AS same").first)
                #expect(try row.decode(Int.self, "v") == value)
                #expect(try row.decode(Int64.self, "v") == Int64(value))
                #expect(try row.decode(Bool.self, "same"))
            }
            for value in [Int32.min, 0, Int32.max] {
                let row = try #require(try db.query("SELECT \(value) AS v, pg_typeof(\(value))::text AS t").first)
                #expect(try row.decode(Int32.self, "v") == value)
                #expect(try row.decode(String.self, "t") == "integer")
            }
        }
    }

    @Test func doublesRoundTrip() throws {
        try withConnection { db in
            for value in [0.1, -1.5e300, Double.leastNonzeroMagnitude, -0.0, 1.0 / 3.0, .infinity, -.infinity, .greatestFiniteMagnitude] {
                let row = try #require(try db.query("SELECT \(value) AS v").first)
                let back = try row.decode(Double.self, "v")
                #expect(back == value && back.sign == value.sign, "\(value)")
            }
            let nan = try #require(try db.query("SELECT \(Double.nan) AS v").first)
            #expect(try nan.decode(Double.self, "v").isNaN)
        }
    }

    @Test func boolsRoundTrip() throws {
        try withConnection { db in
            let row = try #require(try db.query("SELECT \(true) AS t, \(false) AS f, NOT \(true) AS n").first)
            #expect(try row.decode(Bool.self, "t") == true)
            #expect(try row.decode(Bool.self, "f") == false)
            #expect(try row.decode(Bool.self, "n") == false)
        }
    }

    @Test func byteaRoundTripsEveryByte() throws {
        try withConnection { db in
            let samples: [[UInt8]] = [[], [0], [0, 0, 0], Array(0...255), Array((0...255).reversed()) + [0, 92, 120]]
            for value in samples {
                let row = try #require(try db.query("SELECT \(value) AS v, length(\(value)) AS n").first)
                #expect(try row.decode([UInt8].self, "v") == value)
                #expect(try row.decode(Int.self, "n") == value.count)
            }
        }
    }

    @Test func binaryResultsCarryRawBytes() throws {
        try withConnection { db in
            let value = Array(0...255) + [0, 92, 120] as [UInt8]
            let row = try #require(try db.queryBinary("SELECT \(value) AS v, 'héllo'::text AS s, 42::text AS n, NULL::bytea AS z").first)
            #expect(try row.bytes("v") == value)
            #expect(try row.bytes("s") == Array("héllo".utf8))
            #expect(try row.bytes("n") == Array("42".utf8))
            #expect(try row.bytes("z") == nil)
            #expect(throws: StoreError.self) { try row.bytes("missing") }
        }
    }

    @Test func textArraysRoundTrip() throws {
        try withConnection { db in
            let samples: [[String]] = [
                [], [""], ["a"], ["a", "b c", "q\"uote", "back\\slash", "NULL", "null", "{brace}", "comma,", "日本", " pad "],
            ]
            for value in samples {
                let row = try #require(try db.query("SELECT \(value) AS v, cardinality(\(value)) AS n").first)
                #expect(try row.decode([String].self, "v") == value)
                #expect(try row.decode(Int.self, "n") == value.count)
            }
        }
    }

    @Test func nullsOfEveryTypeRoundTrip() throws {
        try withConnection { db in
            try db.execute("""
                CREATE TABLE t (s text, i bigint, i32 integer, d double precision, b boolean, bytes bytea,
                                tags text[], doc jsonb)
                """)
            let s: String? = nil, i: Int? = nil, i32: Int32? = nil, d: Double? = nil, b: Bool? = nil
            let bytes: [UInt8]? = nil, tags: [String]? = nil, doc: String? = nil
            try db.execute("INSERT INTO t VALUES (\(s), \(i), \(i32), \(d), \(b), \(bytes), \(tags), \(doc))")
            let row = try #require(try db.query("SELECT * FROM t").first)
            for column in ["s", "i", "i32", "d", "b", "bytes", "tags", "doc"] { #expect(row.isNull(column)) }
            #expect(try row.decode(String?.self, "s") == nil)
            #expect(try row.decode(Int?.self, "i") == nil)
            #expect(try row.decode(Int32?.self, "i32") == nil)
            #expect(try row.decode(Double?.self, "d") == nil)
            #expect(try row.decode(Bool?.self, "b") == nil)
            #expect(try row.decode([UInt8]?.self, "bytes") == nil)
            #expect(try row.decode([String]?.self, "tags") == nil)
            #expect(try row.decode(String?.self, "doc") == nil)
        }
    }

    @Test func valuesOfEveryTypeRoundTripThroughATable() throws {
        try withConnection { db in
            try db.execute("""
                CREATE TABLE t (s text, i bigint, i32 integer, d double precision, b boolean, bytes bytea,
                                tags text[], doc jsonb, at timestamptz)
                """)
            let s: String? = "ünïcode ✓", i: Int? = 42, tags: [String]? = ["x", "y"]
            let inserted = try db.execute("""
                INSERT INTO t VALUES (\(s), \(i), \(Int32(7)), \(2.5), \(true), \(Array<UInt8>([0, 255])),
                                      \(tags), \(#"{"k": [1, "two"]}"#), \("2026-01-02T03:04:05Z"))
                """)
            #expect(inserted == 1)
            let row = try #require(try db.query("SELECT *, at = '2026-01-02 03:04:05+00' AS at_ok FROM t").first)
            #expect(try row.decode(String?.self, "s") == "ünïcode ✓")
            #expect(try row.decode(Int?.self, "i") == 42)
            #expect(try row.decode(Int32.self, "i32") == 7)
            #expect(try row.decode(Double.self, "d") == 2.5)
            #expect(try row.decode(Bool.self, "b"))
            #expect(try row.decode([UInt8].self, "bytes") == [0, 255])
            #expect(try row.decode([String].self, "tags") == ["x", "y"])
            #expect(try row.decode(String.self, "doc") == #"{"k": [1, "two"]}"#)
            #expect(try row.decode(Bool.self, "at_ok"))
        }
    }
}
