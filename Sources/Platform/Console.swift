import Glibc

/// Standard streams and exit for the command-line front end.
public enum Console {
    /// Writes `text` to standard error. The corresponding C function is `write(2, …)`.
    public static func error(_ text: String) {
        var copy = text
        copy.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n > 0 { offset += n } else if n == -1 && errno == EINTR { continue } else { return }
            }
        }
    }

    /// The corresponding C function is `exit`.
    public static func exit(_ code: Int32) -> Never { Glibc.exit(code) }
}
