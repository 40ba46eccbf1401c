import Glibc
import Store

/// A fresh database per test, on the server named by `ANNEAL_TEST_DATABASE_URL`.
public enum TestDatabase {
    public static let variable = "ANNEAL_TEST_DATABASE_URL"

    /// Creates a uniquely named database; returns its URL and a function that drops it.
    /// Throws (so the test fails, never skips) when the variable is not set.
    public static func create() throws -> (url: String, drop: () -> Void) {
        guard let raw = getenv(variable), case let admin = String(cString: raw), !admin.isEmpty else {
            throw TestSupportError("""
                \(variable) is not set. Run the test script, which starts PostgreSQL, or start one \
                yourself: `. scripts/lib/postgres.sh; pg_start /tmp/anneal-pg 55432 "-c fsync=off"` and \
                `export \(variable)=postgresql://postgres@127.0.0.1:55432/postgres`
                """)
        }
        return try create(on: admin)
    }

    /// Creates a uniquely named database on the server of the superuser URL `admin`.
    public static func create(on admin: String) throws -> (url: String, drop: () -> Void) {
        let name = uniqueName()
        let connection = try Connection(url: admin)
        try connection.executeScript("CREATE DATABASE \(name)")
        let url = replacingDatabase(in: admin, with: name)
        return (url, {
            let connection = try? Connection(url: admin)
            try? connection?.executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        })
    }

    private static let counter = ConditionLockedCounter()

    /// `anneal_test_<pid>_<n>_<random>`: unique across parallel tests and processes.
    static func uniqueName() -> String {
        let random = UInt32.random(in: 0...UInt32.max)
        return "anneal_test_\(getpid())_\(counter.next())_\(String(random, radix: 36))"
    }

    /// The same server and credentials with another database name.
    static func replacingDatabase(in url: String, with name: String) -> String {
        guard url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") else {
            return url + " dbname=\(name)"  // key=value: a later key wins
        }
        let rest = url[url.firstRange(of: "://")!.upperBound...]
        let queryStart: String.Index = rest.firstIndex(of: "?") ?? url.endIndex
        let authorityEnd: String.Index = rest[..<queryStart].firstIndex(of: "/") ?? queryStart
        let head = String(url[..<authorityEnd])
        let tail = String(url[queryStart...])
        return head + "/" + name + tail
    }
}
