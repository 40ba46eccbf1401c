import Glibc

extension Files {
    /// Writes `bytes` to `path` through a temporary file renamed into place, so readers never
    /// see a partial file. The corresponding C functions are `open`, `write`, `fsync` and `rename`.
    public static func write(_ path: String, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
        let temporary = path + ".partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Errno.current }
        do { try FileDescriptor.writeAll(fd, bytes) } catch {
            close(fd)
            throw error
        }
        guard fsync(fd) == 0, close(fd) == 0 else { throw Errno.current }
        guard rename(temporary, path) == 0 else { throw Errno.current }
    }

    /// Writes what `produce` passes to its sink, piece by piece, the same way (a temporary file
    /// renamed into place); a failure removes the temporary file and rethrows.
    public static func write(_ path: String, producing produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let temporary = path + ".partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Errno.current }
        do {
            try produce { piece in try FileDescriptor.writeAll(fd, piece) }
            guard fsync(fd) == 0 else { throw Errno.current }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard close(fd) == 0 else { throw Errno.current }
        guard rename(temporary, path) == 0 else { throw Errno.current }
    }

    public static func write(_ path: String, _ bytes: [UInt8]) throws(Errno) {
        var failure: Errno?
        bytes.withUnsafeBytes { raw in
            do throws(Errno) { try write(path, raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Removes a file; false when it was not there. The corresponding C function is `unlink`.
    @discardableResult
    public static func remove(_ path: String) -> Bool { unlink(path) == 0 }
}
