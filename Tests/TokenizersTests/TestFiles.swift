import Glibc
import JSON

/// Files of the repository (fixtures, and models fetched by scripts/fetch-models), read with
/// libc. A missing file is an error, so a test that needs it fails rather than skips.
enum TestFiles {
    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is missing (run scripts/fetch-models, or scripts/fixtures/tokenizers.py)" }
    }

    static let root: String = {
        // #filePath is <root>/Tests/TokenizersTests/TestFiles.swift
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    static func read(_ relative: String) throws -> [UInt8] {
        let path = relative.hasPrefix("/") ? relative : "\(root)/\(relative)"
        guard let file = fopen(path, "rb") else { throw Missing(path: path) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return bytes
    }

    static func json(_ relative: String) throws -> JSONValue {
        try JSONValue(parsing: try read(relative))
    }

    static let modelsDirectory = "models"
}
