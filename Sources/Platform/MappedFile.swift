import Glibc

/// A whole file mapped read-only into memory (checkpoints: safetensors, GGUF). The mapping
/// lives as long as this object. The corresponding C functions are `open`, `fstat` and `mmap`.
public final class MappedFile: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer?

    public init(path: String) throws(Errno) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Errno.current }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Errno.current }
        let size = Int(info.st_size)
        if size == 0 {
            base = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else { throw Errno.current }
        base = mapped
        bytes = UnsafeRawBufferPointer(start: mapped, count: size)
    }

    deinit { if let base { munmap(base, bytes.count) } }
}
