import Glibc

/// Runs test fixtures' shell commands. Test-only: product code never shells out.
public enum Shell {
    /// Runs `command` with `bash -c`; throws with the exit status when it fails.
    public static func run(_ command: String) throws(TestSupportError) {
        let status = system("bash -c '\(command.replacingQuoted())'")
        guard status == 0 else { throw TestSupportError("command failed (status \(status)): \(command)") }
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
