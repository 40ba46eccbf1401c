import Platform
import Store
import TestSupport
import Testing

@Suite struct MigratorTests {
    static let migrations = [
        // Out of order on purpose: the Migrator sorts by version.
        Migration(version: 2, name: "seed", sql: """
            INSERT INTO widget (name) VALUES ('first');
            INSERT INTO side_effect DEFAULT VALUES;
            """),
        Migration(version: 1, name: "create", sql: """
            CREATE TABLE widget (id bigserial PRIMARY KEY, name text NOT NULL);
            CREATE TABLE side_effect (n bigserial PRIMARY KEY);
            """),
        Migration(version: 3, name: "column", sql: "ALTER TABLE widget ADD COLUMN color text NOT NULL DEFAULT 'red';"),
    ]

    @Test func appliesInOrderOnceAndIsIdempotent() throws {
        try withConnection { db in
            #expect(try Migrator.appliedVersions(db) == [])
            #expect(try Migrator.migrate(db, Self.migrations) == [1, 2, 3])
            #expect(try Migrator.appliedVersions(db) == [1, 2, 3])
            #expect(try Migrator.migrate(db, Self.migrations) == [])
            #expect(try db.query("SELECT count(*) AS c FROM side_effect")[0].decode(Int.self, "c") == 1)
            let names = try db.query("SELECT name FROM schema_migration ORDER BY version").map { try $0.decode(String.self, "name") }
            #expect(names == ["create", "seed", "column"])
        }
    }

    @Test func eightConcurrentMigratorsApplyEachMigrationExactlyOnce() throws {
        try withDatabase { url in
            struct Outcome { var applied: [[Int]] = [], failures: [String] = [] }
            let outcome = ConditionLock(Outcome())
            concurrently(8) { _ in
                do {
                    let db = try Connection(url: url)
                    let applied = try Migrator.migrate(db, Self.migrations)
                    outcome.withLock { $0.applied.append(applied) }
                } catch {
                    outcome.withLock { $0.failures.append(String(reflecting: error)) }
                }
            }
            let result = outcome.withLock { $0 }
            #expect(result.failures.isEmpty, "\(result.failures)")
            #expect(result.applied.count == 8)
            #expect(result.applied.flatMap { $0 }.sorted() == [1, 2, 3])
            let db = try Connection(url: url)
            #expect(try Migrator.appliedVersions(db) == [1, 2, 3])
            #expect(try db.query("SELECT count(*) AS c FROM side_effect")[0].decode(Int.self, "c") == 1)
            #expect(try db.query("SELECT count(*) AS c FROM widget")[0].decode(Int.self, "c") == 1)
        }
    }

    @Test func failedMigrationRollsBackAndStopsTheRun() throws {
        try withConnection { db throws in
            let broken = [
                Self.migrations[1],
                Migration(version: 2, name: "half", sql: "INSERT INTO widget (name) VALUES ('x'); SELECT no_such_function();"),
                Migration(version: 3, name: "never", sql: "CREATE TABLE never (n int);"),
            ]
            let error = storeError { _ = try Migrator.migrate(db, broken) }
            #expect(error?.code == .query && error?.sqlState == "42883")
            #expect(try Migrator.appliedVersions(db) == [1])
            #expect(try db.query("SELECT count(*) AS c FROM widget")[0].decode(Int.self, "c") == 0)
            #expect(try db.query("SELECT to_regclass('never') IS NULL AS absent")[0].decode(Bool.self, "absent"))
            // Fixed, the run picks up where it stopped.
            #expect(try Migrator.migrate(db, Self.migrations) == [2, 3])
        }
    }
}
