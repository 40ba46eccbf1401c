import Glibc

/// Large zero-filled memory straight from the kernel (anonymous `mmap`): pages take physical
/// memory only once written, so a block whose parts are never touched costs only what is.
/// Page-aligned. The corresponding C functions are `mmap` and `munmap`.
public enum ZeroPages {
    /// `bytes` of zeros, or nil when the kernel refuses.
    public static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? {
        guard let region = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), region != MAP_FAILED else { return nil }
        return region
    }

    /// Returns a block from `allocate` of `bytes`.
    public static func free(_ pointer: UnsafeMutableRawPointer, bytes: Int) { munmap(pointer, bytes) }
}
