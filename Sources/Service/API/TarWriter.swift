import Platform

/// Writes a POSIX ustar archive piece by piece (for `GET /v1/models/{id}/download`), so a large
/// model streams without being assembled in memory. Names are limited to 100 bytes.
struct TarWriter {
    let write: ([UInt8]) throws -> Void
    var modificationTime: Int

    /// One regular file: its 512-byte header, its bytes, and zero padding to a 512-byte boundary.
    func file(_ name: String, _ bytes: [UInt8]) throws {
        try file(name, StreamedFile(name: name, bytes: bytes))
    }

    /// One regular file written as `file` produces it, in pieces of at most 1 MiB.
    func file(_ name: String, _ file: StreamedFile) throws {
        try write(TarWriter.header(name: name, size: file.size, mode: 0o644, time: modificationTime))
        try file.write { piece in
            for start in stride(from: 0, to: piece.count, by: 1 << 20) {
                try write(Array(piece[start..<min(piece.count, start + (1 << 20))]))
            }
        }
        let padding = (512 - file.size % 512) % 512
        if padding > 0 { try write([UInt8](repeating: 0, count: padding)) }
    }

    /// The end of the archive: two zero blocks.
    func finish() throws { try write([UInt8](repeating: 0, count: 1024)) }

    static func header(name: String, size: Int, mode: Int, time: Int) -> [UInt8] {
        precondition(name.utf8.count <= 100, "tar names are at most 100 bytes")
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (i, byte) in text.utf8.enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset)
        }
        put(name, at: 0)
        octal(mode, at: 100, width: 8)
        octal(0, at: 108, width: 8)  // uid
        octal(0, at: 116, width: 8)  // gid
        octal(size, at: 124, width: 12)
        octal(time, at: 136, width: 12)
        put("        ", at: 148)  // checksum field counts as spaces while summing
        block[156] = UInt8(ascii: "0")  // regular file
        put("ustar", at: 257)
        put("00", at: 263)
        let sum = block.reduce(0) { $0 + Int($1) }
        octal(sum, at: 148, width: 7)
        block[155] = UInt8(ascii: " ")
        return block
    }
}
