// libFuzzer target: the fine-tune file validator (DatasetValidator), built by fuzz/run against
// the JSON module and the validator's files of Training.
//
// Invariants (a violation traps, which libFuzzer reports as a crash):
// - a report has problems or examples, never neither; at most the limit of problems;
// - every problem names a line of the file (or 0 for the whole file) and says why;
// - label counts add up to the examples of a labelled file; its report prints as JSON;
// - the file fed in pieces (as an upload streams; the sizes come from the file's length) gives the
//   same report as the whole file.
import JSON

func invariant(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(message())") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDataset(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let report = DatasetValidator.validate(bytes, maxProblems: 5)
    let lines = bytes.filter { $0 == 10 }.count + 1
    invariant(report.exampleCount > 0 || !report.problems.isEmpty, "neither examples nor problems")
    invariant(report.problems.count <= 5, "\(report.problems.count) problems past the limit")
    for problem in report.problems {
        invariant(problem.line >= 0 && problem.line <= lines, "problem on line \(problem.line) of \(lines)")
        invariant(!problem.reason.isEmpty, "a problem without a reason")
    }
    if report.shape?.isLabelled == true {
        invariant(report.labelCounts.values.reduce(0, +) == report.exampleCount, "label counts do not add up")
    }
    invariant((try? JSONValue(parsing: report.json.encodedBytes())) != nil, "the report does not print as JSON")
    var scanner = DatasetScanner(maxProblems: 5)
    let piece = 1 + size % 13
    var offset = 0
    while offset < bytes.count {
        scanner.feed(bytes[offset..<min(bytes.count, offset + piece)])
        offset += piece
    }
    let pieces = scanner.finish()
    invariant(pieces.problems == report.problems && pieces.exampleCount == report.exampleCount
              && pieces.labelCounts == report.labelCounts && pieces.firstLines == report.firstLines && pieces.shape == report.shape,
              "pieces of \(piece) bytes give another report")
    return 0
}
