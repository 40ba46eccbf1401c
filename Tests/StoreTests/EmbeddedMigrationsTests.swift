import Glibc
import Store
import Testing

/// The generated Sources/Store/EmbeddedMigrations.swift must match migrations/*.sql exactly:
/// run scripts/embed-migrations after editing a migration.
@Suite struct EmbeddedMigrationsTests {
    static var repositoryRoot: String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/StoreTests/EmbeddedMigrationsTests.swift
        return parts.joined(separator: "/")
    }

    static func sqlFiles(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }  // no migrations yet
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name.hasSuffix(".sql") { names.append(name) }
        }
        return names.sorted()
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let file = fopen(path, "rb") else { throw TestFailure("cannot open \(path)") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n == 0 { break }
            bytes += chunk[..<n]
        }
        return bytes
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    @Test func embeddedCopyMatchesTheSQLFiles() throws {
        let directory = Self.repositoryRoot + "/migrations"
        let files = Self.sqlFiles(in: directory)
        #expect(embeddedMigrations.count == files.count, "stale: run scripts/embed-migrations")
        for (file, migration) in zip(files, embeddedMigrations) {
            let stem = file.dropLast(4)
            let underscore = try #require(stem.firstIndex(of: "_"))
            #expect(Int(stem[..<underscore]) == migration.version, "\(file)")
            #expect(String(stem[stem.index(after: underscore)...]) == migration.name, "\(file)")
            #expect(try Self.read(directory + "/" + file) == Array(migration.sql.utf8), "\(file) is stale: run scripts/embed-migrations")
        }
    }

    @Test func embeddedMigrationsApplyToAnEmptyDatabase() throws {
        try withConnection { db in
            let applied = try Migrator.migrate(db, embeddedMigrations)
            #expect(applied == embeddedMigrations.map(\.version).sorted())
            #expect(try Migrator.migrate(db, embeddedMigrations) == [])
        }
    }
}
