import Platform
import Store
import Testing

@Suite struct ConnectionTests {
    @Test func injectionAttemptsStayData() throws {
        try withConnection { db in
            try db.execute("CREATE TABLE t (name text NOT NULL)")
            let attacks = ["x'); DROP TABLE t; --", "' OR '1'='1", "$1", "\\'; SELECT pg_sleep(10); --"]
            for attack in attacks { try db.execute("INSERT INTO t (name) VALUES (\(attack))") }
            let names = try db.query("SELECT name FROM t ORDER BY name").map { try $0.decode(String.self, "name") }
            #expect(names == attacks.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
            #expect(try db.query("SELECT name FROM t WHERE name = \("' OR '1'='1' --x")").isEmpty)
            #expect(try db.query("SELECT 1 FROM t WHERE name = \(attacks[0])").count == 1)
        }
    }

    @Test func decodeErrorsNameTheColumn() throws {
        try withConnection { db in
            let row = try #require(try db.query("SELECT 'secret-value'::text AS word, NULL::int AS missing").first)
            let wrongType = try #require(storeError { _ = try row.decode(Int.self, "word") })
            #expect(wrongType.code == .decode)
            #expect(wrongType.column == "word")
            #expect(wrongType.description == "store error: decode column \"word\"")
            #expect(!wrongType.description.contains("secret-value"))
            #expect(String(reflecting: wrongType).contains("secret-value"))

            let null = try #require(storeError { _ = try row.decode(Int.self, "missing") })
            #expect(null.code == .decode && null.column == "missing")
            #expect(try row.decode(Int?.self, "missing") == nil)

            let absent = try #require(storeError { _ = try row.decode(String.self, "nope") })
            #expect(absent.code == .decode && absent.column == "nope")
            #expect(row.columnNames == ["word", "missing"])
        }
    }

    @Test func serverErrorsCarrySQLStateAndHideDetails() throws {
        try withConnection { db in
            try db.execute("CREATE TABLE t (id text PRIMARY KEY, note text NOT NULL)")
            let notNull = try #require(storeError {
                let note: String? = nil
                try db.execute("INSERT INTO t (id, note) VALUES (\("secret-id"), \(note))")
            })
            #expect(notNull.code == .query)
            #expect(notNull.sqlState == "23502")
            #expect(notNull.description == "store error: query (23502)")
            let debug = String(reflecting: notNull)
            #expect(debug.contains("INSERT INTO t") && debug.contains("null value"))

            let syntax = try #require(storeError { try db.execute("SELEC 1") })
            #expect(syntax.code == .query && syntax.sqlState == "42601")
        }
    }

    @Test func uniqueViolationHasItsOwnCode() throws {
        try withConnection { db in
            try db.execute("CREATE TABLE t (id text PRIMARY KEY)")
            try db.execute("INSERT INTO t VALUES (\("a"))")
            let error = try #require(storeError { try db.execute("INSERT INTO t VALUES (\("a"))") })
            #expect(error.code == .uniqueViolation)
            #expect(error.sqlState == "23505")
            #expect(!db.isBroken)
        }
    }

    @Test func nulInTextIsRefusedNotTruncated() throws {
        try withConnection { db in
            let error = try #require(storeError { _ = try db.query("SELECT \("ab\u{0}cd") AS v") })
            #expect(error.code == .query && error.sqlState == "22021")
        }
    }

    @Test func executeCountsAffectedRows() throws {
        try withConnection { db in
            try db.executeScript("CREATE TABLE t (n int); INSERT INTO t SELECT generate_series(1, 5);")
            #expect(try db.execute("UPDATE t SET n = n + 1 WHERE n > \(2)") == 3)
            #expect(try db.execute("DELETE FROM t") == 5)
            #expect(try db.execute("CREATE TABLE u (n int)") == 0)
        }
    }

    @Test func transactionsCommitAndRollBack() throws {
        struct Boom: Error {}
        try withConnection { db in
            try db.execute("CREATE TABLE t (n int)")
            let value = try db.transaction { tx in
                try tx.execute("INSERT INTO t VALUES (\(1))")
                return 7
            }
            #expect(value == 7)
            #expect(throws: Boom.self) {
                try db.transaction { tx in
                    try tx.execute("INSERT INTO t VALUES (\(2))")
                    throw Boom()
                }
            }
            // A failed statement inside a transaction rolls the whole transaction back too.
            #expect(throws: StoreError.self) {
                try db.transaction { tx in
                    try tx.execute("INSERT INTO t VALUES (\(3))")
                    try tx.execute("INSERT INTO t VALUES (\("not a number"))")
                }
            }
            let values = try db.query("SELECT n FROM t ORDER BY n").map { try $0.decode(Int.self, "n") }
            #expect(values == [1])
            #expect(!db.isBroken)
        }
    }

    @Test func unreachableServerIsUnavailableQuickly() {
        let start = MonotonicClock.now
        let error = storeError { _ = try Connection(url: "postgresql://postgres@127.0.0.1:1/postgres") }
        #expect(error?.code == .unavailable)
        #expect(MonotonicClock.now - start < 5)
    }
}
