import Glibc

/// A throwaway PostgreSQL server of its own, for tests that stop and restart the database.
///
/// Uses `scripts/lib/postgres.sh` (`pg_start`, `pg_stop`): the cluster lives in a temporary
/// folder, belongs to the `postgres` user when running as root, and listens on 127.0.0.1 at a
/// free port that stays the same across `stop()` and `start()`.
public final class PrivateCluster: Sendable {
    public let directory: String
    public let port: Int
    /// A superuser URL to the `postgres` database.
    public let url: String

    /// Runs initdb and starts the server (a few seconds).
    public init(options: String = "-c fsync=off -c shared_buffers=16MB") throws {
        var template = Array("/tmp/anneal-cluster-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestSupportError("mkdtemp failed: errno \(errno)") }
        directory = String(cString: made)
        port = try Self.freePort()
        url = "postgresql://postgres@127.0.0.1:\(port)/postgres"
        self.options = options
        do {
            try start()
        } catch {
            destroy()
            throw error
        }
    }

    private let options: String

    /// Starts the server again on the same data and port; returns when it accepts connections.
    public func start() throws {
        try Shell.run(". \(Shell.repositoryRoot)/scripts/lib/postgres.sh && pg_start \(directory) \(port) \"\(options)\"")
    }

    /// Stops the server (fast shutdown: sessions are terminated).
    public func stop() {
        try? Shell.run(". \(Shell.repositoryRoot)/scripts/lib/postgres.sh && pg_stop \(directory)")
    }

    /// Stops the server and deletes its folder.
    public func destroy() {
        stop()
        try? Shell.run("rm -rf \(directory)")
    }

    /// A TCP port that was free a moment ago on 127.0.0.1 (the kernel picks it).
    static func freePort() throws(TestSupportError) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw TestSupportError("bind failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
