import Glibc

/// The process environment. The corresponding C functions are `getenv`, `setenv` and `gethostname`.
public enum Environment {
    public static subscript(name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    public static func set(_ name: String, _ value: String) { setenv(name, value, 1) }

    public static var hostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, 255)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static var processID: Int32 { getpid() }

    /// Online processors. The corresponding C function is `sysconf(_SC_NPROCESSORS_ONLN)`.
    public static var processorCount: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
