import Glibc

/// Runs test fixtures' shell commands. Test-only: product code never shells out.
public enum Shell {
    /// Runs `command` with `bash -c`; throws with the exit status when it fails.
    public static func run(_ command: String) throws(TestSupportError) {
        let status = system("bash -c '\(command.replacingQuoted())'")
        guard status == 0 else { throw TestSupportError("command failed (status \(status)): \(command)") }
    }

    /// Runs `command` with `bash -c` and returns its standard output; throws when it fails.
    public static func output(_ command: String) throws(TestSupportError) -> String {
        guard let pipe = popen("bash -c '\(command.replacingQuoted())'", "r") else { throw TestSupportError("popen failed: \(command)") }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, pipe)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        let status = pclose(pipe)
        guard status == 0 else { throw TestSupportError("command failed (status \(status)): \(command)") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The repository root, from this file's location (Sources/TestSupport/Shell.swift).
    static var repositoryRoot: String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }
}

extension String {
    /// Safe inside single quotes: `'` becomes `'\''`.
    fileprivate func replacingQuoted() -> String {
        var out = ""
        for c in unicodeScalars { if c == "'" { out += "'\\''" } else { out.unicodeScalars.append(c) } }
        return out
    }
}
