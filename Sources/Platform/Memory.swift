import CLinux
import Glibc

/// This process's resident memory, from `/proc/self/status`.
public enum Memory {
    /// Resident bytes now (`VmRSS`).
    public static var residentBytes: Int { field("VmRSS:") }
    /// The most resident bytes since start or since `resetPeak` (`VmHWM`).
    public static var peakResidentBytes: Int { field("VmHWM:") }

    /// Starts `peakResidentBytes` over from the current resident size, by writing 5 to
    /// `/proc/self/clear_refs` (Linux 4.0 and later). False when the kernel refused.
    @discardableResult
    public static func resetPeak() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    /// Gives free heap memory back to the kernel (every malloc arena, not only the top of the
    /// main heap): after work that churned through large buffers, such as a streamed upload, so
    /// the next one does not start from a larger resident size. The corresponding C function is
    /// `malloc_trim`.
    public static func releaseFreePages() { _ = malloc_trim(0) }

    private static func field(_ name: String) -> Int {
        guard let bytes = Files.read("/proc/self/status") else { return 0 }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix(name) {
            let digits = line.dropFirst(name.count).filter(\.isNumber)
            return (Int(digits) ?? 0) * 1024  // the kernel reports kB
        }
        return 0
    }
}
