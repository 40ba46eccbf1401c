import Glibc

/// Whole-buffer reads and writes on a file descriptor, each call retried on `EINTR` through
/// `valueOrErrno`.
public enum FileDescriptor {
    /// Writes every byte of `bytes` to `fd`. The corresponding C function is `write`.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let n = try valueOrErrno { Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
            guard n > 0 else { throw Errno(rawValue: EIO) }  // no progress: never spin
            offset += n
        }
    }

    /// Reads `fd` to its end. A failing `read` throws: the bytes read before it are not a file.
    /// The corresponding C function is `read`.
    public static func readAll(_ fd: Int32) throws(Errno) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = try read(fd, into: &chunk)
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// Reads once into `buffer`: the byte count, 0 at the end. The corresponding C function is `read`.
    public static func read(_ fd: Int32, into buffer: inout [UInt8]) throws(Errno) -> Int {
        let count = buffer.count
        return try buffer.withUnsafeMutableBufferPointer { raw in
            Result { () throws(Errno) in try valueOrErrno { Glibc.read(fd, raw.baseAddress, count) } }
        }.get()
    }
}
