import Glibc
import Platform
import Testing

@Suite("Files")
struct FilesTests {
    @Test("A whole file reads back; a read that fails is nil, never a partial file")
    func readWholeOrNothing() throws {
        let path = "/tmp/anneal-files-test-\(Environment.processID)"
        defer { Files.remove(path) }
        let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Files.write(path, bytes)
        #expect(Files.read(path) == bytes)
        // open(2) succeeds on a directory and read(2) then fails with EISDIR: that is no file.
        #expect(Files.read("/tmp") == nil)
        #expect(Files.read(path + ".missing") == nil)
    }

    @Test("writeAll writes every byte through a pipe whose reader drains it")
    func writeAllThroughPipe() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let payload = [UInt8](repeating: 7, count: 1 << 20)  // larger than a pipe's buffer: several writes
        let done = ConditionLock<[UInt8]?>(nil)
        let readFD = fds[0]
        Thread.spawn(name: "pipe-reader") {
            let all = try? FileDescriptor.readAll(readFD)
            done.withLock { $0 = all ?? [] }
            done.broadcast()
        }
        let writeFD = fds[1]
        let written = payload.withUnsafeBytes { raw in Result { () throws(Errno) in try FileDescriptor.writeAll(writeFD, raw) } }
        try written.get()
        close(fds[1])
        let received = done.withLock(when: { $0 != nil }) { value, _ in value! }
        close(fds[0])
        #expect(received == payload)
    }
}
