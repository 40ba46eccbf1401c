import Glibc

/// Standard streams and exit for the command-line front end.
public enum Console {
    /// Writes `text` to standard error. The corresponding C function is `write(2, …)`.
    public static func error(_ text: String) { write(text, to: 2) }

    /// Writes `text` to standard output at once (no buffering, no newline added): a progress
    /// bar redrawn in place. The corresponding C function is `write(1, …)`.
    public static func output(_ text: String) { write(text, to: 1) }

    private static func write(_ text: String, to descriptor: Int32) {
        var copy = text
        copy.withUTF8 { buffer in try? FileDescriptor.writeAll(descriptor, UnsafeRawBufferPointer(buffer)) }
    }

    /// Lines of standard input as raw bytes, without the `\n` (and a `\r` before it); nil at the
    /// end. Bytes are not decoded: the caller decides what invalid UTF-8 means.
    /// The corresponding C function is `read(0, …)`.
    public struct InputLines: Sequence, IteratorProtocol {
        private var buffer: [UInt8] = []
        private var start = 0
        private var finished = false

        public init() {}

        public mutating func next() -> [UInt8]? {
            while true {
                if let newline = buffer[start...].firstIndex(of: 10) {
                    var line = Array(buffer[start..<newline])
                    start = newline + 1
                    if line.last == 13 { line.removeLast() }
                    return line
                }
                if finished {
                    guard start < buffer.count else { return nil }
                    let line = Array(buffer[start...])
                    start = buffer.count
                    return line
                }
                buffer.removeSubrange(0..<start)
                start = 0
                var chunk = [UInt8](repeating: 0, count: 64 * 1024)
                let n = (try? FileDescriptor.read(0, into: &chunk)) ?? 0
                if n > 0 { buffer.append(contentsOf: chunk[0..<n]) } else { finished = true }
            }
        }
    }

    /// The corresponding C function is `exit`.
    public static func exit(_ code: Int32) -> Never { Glibc.exit(code) }

    /// Ends a process that has stopped its work but still has idle threads (HTTP handlers,
    /// decode batchers, BLAS threads): `exit` would run library destructors (OpenBLAS frees its
    /// buffers, OpenSSL cleans up) while those threads may still be exiting or using them.
    /// Output is unbuffered here (`Log` and `Console.error` write to the descriptors), so
    /// nothing is lost. The corresponding C function is `_exit`.
    public static func exitSkippingTeardown(_ code: Int32) -> Never {
        Log.flush()
        Glibc._exit(code)
    }
}
