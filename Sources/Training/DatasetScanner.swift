import Glibc
import JSON

/// `DatasetValidator` over a file that arrives in pieces (an upload streamed to storage): a line
/// split between pieces is joined first, so the report equals validating the whole file at once.
/// Lines are split as `JSONLines` splits them (on "\n", one "\r" dropped, blank lines counted); only one unfinished line is ever held.
public struct DatasetScanner {
    /// A longer line is a problem (and is not held in memory).
    public static let maxLineBytes = 32 << 20

    public private(set) var report = DatasetReport()
    let maxProblems: Int
    var partial: [UInt8] = []
    /// The unfinished line passed `maxLineBytes`: skip to its end.
    var skipping = false
    var number = 0
    var firstShapeLine = 0

    public init(maxProblems: Int = 10) { self.maxProblems = maxProblems }

    /// Whether the report holds as many problems as it keeps: reading on changes nothing.
    public var isFull: Bool { report.problems.count >= maxProblems }

    public mutating func feed(_ bytes: [UInt8]) { feed(bytes[...]) }

    public mutating func feed(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var lineStart = 0
            while !isFull, let found = memchr(base + lineStart, 10, buffer.count - lineStart) {
                let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                let piece = UnsafeBufferPointer(rebasing: buffer[lineStart..<newline])
                if partial.isEmpty && !skipping {
                    line(piece)
                } else {
                    append(piece)
                    let whole = partial
                    partial = []
                    if !skipping { whole.withUnsafeBufferPointer { line($0) } }
                    skipping = false
                }
                lineStart = newline + 1
            }
            if !isFull { append(UnsafeBufferPointer(rebasing: buffer[lineStart...])) }
        }
    }

    /// The report once the file has ended.
    public mutating func finish() -> DatasetReport {
        if !isFull && (!partial.isEmpty || skipping) {
            let whole = partial
            partial = []
            if !skipping { whole.withUnsafeBufferPointer { line($0) } }
            skipping = false
        }
        var final = report
        if final.exampleCount == 0 && final.problems.isEmpty {
            final.problems.append(DatasetProblem(line: 0, reason: "the file holds no examples"))
        }
        return final
    }

    /// Holds bytes of an unfinished line; one that grows too long becomes a problem at once.
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard !skipping, !bytes.isEmpty else { return }
        if partial.count + bytes.count > Self.maxLineBytes {
            number += 1
            report.problems.append(DatasetProblem(line: number, reason: "line longer than \(Self.maxLineBytes >> 20) MiB"))
            partial = []
            skipping = true
            return
        }
        partial.append(contentsOf: bytes)
    }

    /// One whole line (without its "\n"), numbered as `JSONLines` numbers it.
    mutating func line(_ raw: UnsafeBufferPointer<UInt8>) {
        number += 1
        guard raw.count <= Self.maxLineBytes else {
            report.problems.append(DatasetProblem(line: number, reason: "line longer than \(Self.maxLineBytes >> 20) MiB"))
            return
        }
        var bytes = Array(raw)
        if bytes.last == 13 { bytes.removeLast() }
        if bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { return }
        let record: JSONValue
        do {
            record = try JSONValue(parsing: bytes)
        } catch {
            report.problems.append(DatasetProblem(line: number, reason: "invalid JSON: \(error.reason) at byte \(error.offset)"))
            return
        }
        do throws(DatasetProblem) {
            let (shape, label) = try DatasetValidator.check(record)
            if let expected = report.shape, expected != shape {
                throw DatasetProblem(line: 0, reason: "record is \(shape.keys) but line \(firstShapeLine) is \(expected.keys); a file holds one shape")
            }
            if report.shape == nil {
                report.shape = shape
                firstShapeLine = number
            }
            report.exampleCount += 1
            if let label {
                report.labelCounts[label, default: 0] += 1
                if report.firstLines[label] == nil { report.firstLines[label] = number }
            }
        } catch {
            report.problems.append(DatasetProblem(line: number, reason: error.reason))
        }
    }
}
