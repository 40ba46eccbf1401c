import Glibc
import Platform
import Testing

@Suite("Log writer: a bounded buffer and one writer thread")
struct LogWriterTests {
    @Test("A reader that does not read never blocks the logger: lines past the buffer are dropped, counted and reported")
    func slowReaderDropsInsteadOfBlocking() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let writer = LogWriter(descriptor: ends[1], capacity: 4096)
        let line = Array(#"{"msg":"hello"}"#.utf8) + [10]
        // The pipe holds 64 KiB and nobody reads it: a synchronous write would block after ~4,000 lines.
        let started = MonotonicClock.now
        for _ in 0..<20_000 { writer.append(line) }
        #expect(MonotonicClock.now - started < 1, "appending never waits for the reader")
        #expect(writer.dropped > 10_000)

        // Once the reader catches up, every line is either written or counted in a notice.
        let reader = ends[0]
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var (written, reported) = (0, 0)
        let deadline = MonotonicClock.now + 10
        while MonotonicClock.now < deadline && written + reported < 20_000 {
            let n = read(reader, &chunk, chunk.count)
            if n > 0 { text += chunk[0..<n] }
            let lines = String(decoding: text, as: UTF8.self).split(separator: "\n")
            written = lines.filter { $0 == #"{"msg":"hello"}"# }.count
            reported = lines.filter { $0.contains("log lines dropped") }.map { line in
                Int(line.split(separator: ":").last!.dropLast())!
            }.reduce(0, +)
        }
        #expect(written + reported == 20_000 && reported == writer.dropped, "\(written) written, \(reported) reported dropped")
        writer.flush(timeout: 1)
    }
}
