import JSON
import Testing
import Training

/// `DatasetScanner` (uploads validated as they stream) reports what `DatasetValidator.validate`
/// reports for the whole file, wherever the pieces split it.
@Suite("Dataset validation in pieces")
struct DatasetScannerTests {
    static let file = Array("""
        {"text": "a \\u00e9 fresh one", "label": "fresh"}\r
        \t
        {"text": "dull", "label": "rotten"}
        not json
        {"text": "x", "label": 3}

        {"prompt": "p", "completion": "c"}
        {"text": "last, with no newline", "label": "fresh"}
        """.utf8)

    static func scan(_ bytes: [UInt8], pieces: Int) -> DatasetReport {
        var scanner = DatasetScanner()
        var offset = 0
        while offset < bytes.count {
            scanner.feed(bytes[offset..<min(bytes.count, offset + pieces)])
            offset += pieces
        }
        return scanner.finish()
    }

    @Test(arguments: [1, 2, 3, 17, 50, 1000])
    func sameReportInAnyPieces(size: Int) {
        let whole = DatasetValidator.validate(Self.file)
        #expect(whole.problems.map(\.line) == [4, 7], "the fixture has problems on lines 4 and 7")
        let pieces = Self.scan(Self.file, pieces: size)
        #expect(pieces.problems == whole.problems)
        #expect(pieces.exampleCount == whole.exampleCount && pieces.labelCounts == whole.labelCounts)
        #expect(pieces.firstLines == whole.firstLines && pieces.shape == whole.shape)
    }

    @Test func emptyAndBlankFiles() {
        #expect(Self.scan([], pieces: 1).problems == [DatasetProblem(line: 0, reason: "the file holds no examples")])
        #expect(Self.scan(Array("\n \r\n\n".utf8), pieces: 1).problems.map(\.reason) == ["the file holds no examples"])
    }

    @Test("A line past 32 MiB is a problem with its number, not held in memory; the next lines are read")
    func overlongLine() {
        var scanner = DatasetScanner()
        scanner.feed(Array("{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"".utf8))
        let block = [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
        for _ in 0..<33 { scanner.feed(block) }
        scanner.feed(Array("\"}\n{\"text\": \"b\", \"label\": \"y\"}\n".utf8))
        let report = scanner.finish()
        #expect(report.problems == [DatasetProblem(line: 2, reason: "line longer than 32 MiB")])
        #expect(report.exampleCount == 2 && report.firstLines["y"] == 3)
    }

    @Test("It stops at the problem limit")
    func problemLimit() {
        var scanner = DatasetScanner(maxProblems: 2)
        scanner.feed(Array("x\ny\nz\n".utf8))
        #expect(scanner.isFull && scanner.finish().problems.map(\.line) == [1, 2])
    }
}
