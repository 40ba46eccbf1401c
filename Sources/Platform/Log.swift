import Glibc
import Synchronization

/// Structured logs: one JSON object a line on standard output, written with a single `write`
/// so that lines from different threads never interleave.
public enum Log {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case debug, info, warn, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        public var name: String { ["debug", "info", "warn", "error"][rawValue] }
        public init?(name: String) {
            guard let level = Level.allCases.first(where: { $0.name == name }) else { return nil }
            self = level
        }
    }

    /// A field value: strings, integers, doubles and booleans, written as JSON.
    public enum Value: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
        case string(String), int(Int), double(Double), bool(Bool)
        public init(stringLiteral value: String) { self = .string(value) }
        public init(integerLiteral value: Int) { self = .int(value) }
        public init(booleanLiteral value: Bool) { self = .bool(value) }
    }

    private static let threshold = Atomic<Int>(Level.info.rawValue)

    public static var level: Level {
        get { Level(rawValue: threshold.load(ordering: .relaxed))! }
        set { threshold.store(newValue.rawValue, ordering: .relaxed) }
    }

    /// Waits (up to 2 s) for queued lines to be written: before an exit that skips `atexit`.
    public static func flush() { LogWriter.standardOutput.flush(timeout: 2) }

    /// Lines dropped because standard output's reader was too slow (for /metrics).
    public static var dropped: Int { LogWriter.standardOutput.dropped }

    public static func enabled(_ level: Level) -> Bool { level.rawValue >= threshold.load(ordering: .relaxed) }

    public static func debug(_ message: String, _ fields: [(String, Value)] = []) { write(.debug, message, fields) }
    public static func info(_ message: String, _ fields: [(String, Value)] = []) { write(.info, message, fields) }
    public static func warn(_ message: String, _ fields: [(String, Value)] = []) { write(.warn, message, fields) }
    public static func error(_ message: String, _ fields: [(String, Value)] = []) { write(.error, message, fields) }

    public static func write(_ level: Level, _ message: String, _ fields: [(String, Value)]) {
        guard enabled(level) else { return }
        var line: [UInt8] = []
        line.reserveCapacity(128)
        line.append(contentsOf: #"{"ts":""#.utf8)
        line.append(contentsOf: WallClock.iso8601().utf8)
        line.append(contentsOf: #"","level":""#.utf8)
        line.append(contentsOf: level.name.utf8)
        line.append(contentsOf: #"","msg":"#.utf8)
        appendQuoted(message, to: &line)
        for (key, value) in fields {
            line.append(UInt8(ascii: ","))
            appendQuoted(key, to: &line)
            line.append(UInt8(ascii: ":"))
            switch value {
            case .string(let s): appendQuoted(s, to: &line)
            case .int(let i): line.append(contentsOf: String(i).utf8)
            case .double(let d): line.append(contentsOf: (d.isFinite ? String(d) : "null").utf8)
            case .bool(let b): line.append(contentsOf: (b ? "true" : "false").utf8)
            }
        }
        line.append(contentsOf: "}\n".utf8)
        LogWriter.standardOutput.append(line)
    }

    /// A JSON string literal; control characters escaped, other text kept as UTF-8.
    private static func appendQuoted(_ text: String, to line: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        line.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): line.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): line.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): line.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): line.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): line.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20: line.append(contentsOf: #"\u00"#.utf8 + [hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }
}
