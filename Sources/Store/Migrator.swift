/// Applies migrations, each exactly once, even when many processes start together.
///
/// Each migration runs in its own transaction that first takes
/// `pg_advisory_xact_lock(Migrator.lockKey)` and then checks `schema_migration` again, so a
/// process that waited on the lock finds the version recorded and skips it. A migration's SQL
/// must not contain transaction control or statements that cannot run in a transaction
/// (`CREATE INDEX CONCURRENTLY`).
public enum Migrator {
    /// The advisory lock key: the bytes of "annealMg" as a big-endian Int64.
    public static let lockKey: Int64 = 0x616E_6E65_616C_4D67

    /// Applies, in version order, the migrations not yet recorded; returns the versions this
    /// call applied. A failed migration rolls back and throws; those before it stay applied.
    public static func migrate(_ connection: Connection, _ migrations: [Migration]) throws -> [Int] {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            precondition(a.version != b.version, "two migrations have version \(a.version)")
        }
        let already = Set(try appliedVersions(connection))
        var applied: [Int] = []
        for migration in sorted where !already.contains(migration.version) {
            let didApply = try connection.transaction { connection in
                try connection.execute("SELECT pg_advisory_xact_lock(\(lockKey))")
                try connection.executeScript(createTable)
                let recorded = try connection.query(
                    "SELECT 1 FROM schema_migration WHERE version = \(migration.version)")
                guard recorded.isEmpty else { return false }
                try connection.executeScript(migration.sql)
                try connection.execute(
                    "INSERT INTO schema_migration (version, name) VALUES (\(migration.version), \(migration.name))")
                return true
            }
            if didApply { applied.append(migration.version) }
        }
        return applied
    }

    /// The versions recorded in `schema_migration`, ascending; [] before the table exists.
    public static func appliedVersions(_ connection: Connection) throws -> [Int] {
        let table = try connection.query("SELECT to_regclass('schema_migration') IS NOT NULL AS present")
        guard try table.first?.decode(Bool.self, "present") == true else { return [] }
        let rows = try connection.query("SELECT version FROM schema_migration ORDER BY version")
        return try rows.map { row throws(StoreError) in try row.decode(Int.self, "version") }
    }

    static let createTable = """
        CREATE TABLE IF NOT EXISTS schema_migration (
            version bigint PRIMARY KEY,
            name text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """
}
