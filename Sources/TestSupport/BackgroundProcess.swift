import Glibc
import Platform

/// A command run by `bash -c` in the background for a test (a TLS server, a receiver), with
/// its standard output and error readable line by line. Killed by `terminate()`.
public final class BackgroundProcess: @unchecked Sendable {
    public let pid: pid_t
    private let output: Int32
    private var pending: [UInt8] = []

    public init(_ command: String) throws(TestSupportError) {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw TestSupportError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 2)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        var pid: pid_t = 0
        let arguments = ["bash", "-c", command]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let rc = posix_spawnp(&pid, "bash", &actions, nil, &argv, environ)
        close(pipe[1])
        guard rc == 0 else {
            close(pipe[0])
            throw TestSupportError("cannot start \(command): error \(rc)")
        }
        self.pid = pid
        output = pipe[0]
    }

    /// The next output line containing `text`, waiting up to `timeout` seconds; nil when the
    /// process ended or the time ran out first.
    public func waitForLine(containing text: String, timeout: Double) -> String? {
        let deadline = MonotonicClock.now + timeout
        while true {
            while let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                if line.contains(text) { return line }
            }
            let left = deadline - MonotonicClock.now
            guard left > 0, !Poll.wait(output, for: .readable, timeout: left).isEmpty else { return nil }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(output, &chunk, chunk.count)
            guard n > 0 else { return nil }
            pending += chunk[0..<n]
        }
    }

    /// SIGKILL and reap.
    public func terminate() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(output)
    }
}

extension Shell {
    /// A new empty folder under /tmp.
    public static func temporaryFolder() throws(TestSupportError) -> String {
        var template = Array("/tmp/anneal-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestSupportError("mkdtemp failed") }
        return String(cString: made)
    }

    /// A self-signed certificate and its key, `folder/cert.pem` and `folder/key.pem`, for
    /// `subjectAltName` (e.g. `DNS:localhost,IP:127.0.0.1`), valid for a day.
    public static func makeCertificate(in folder: String, subjectAltName: String) throws(TestSupportError) {
        try run("""
            openssl req -x509 -newkey rsa:2048 -nodes -keyout '\(folder)/key.pem' -out '\(folder)/cert.pem' -days 1 \
                -subj /CN=localhost -addext subjectAltName=\(subjectAltName) 2>/dev/null
            """)
    }
}
