import Platform
import Testing

@Suite("Platform")
struct PlatformTests {
    @Test("SHA-256 matches the FIPS 180-2 vectors")
    func sha256() {
        #expect(Crypto.hex(Crypto.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Crypto.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Crypto.hex(Crypto.sha256(Array("abc".utf8)[...])) == Crypto.sha256Hex("abc"), "slices hash the same")
    }

    @Test("Random ids have the prefix, the length and the alphabet, and differ")
    func randomIDs() {
        let ids = (0..<200).map { _ in Crypto.randomID(prefix: "file-") }
        #expect(Set(ids).count == 200)
        for id in ids {
            #expect(id.hasPrefix("file-") && id.utf8.count == 29)
            #expect(id.utf8.dropFirst(5).allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) })
        }
    }

    @Test("Dates: RFC 3339 for logs, IMF-fixdate for HTTP")
    func dates() {
        #expect(WallClock.iso8601(784_111_777.25) == "1994-11-06T08:49:37.250Z")
        #expect(WallClock.httpDate(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    @Test("ConditionLock waits for its condition, or times out")
    func conditionLock() {
        let lock = ConditionLock(0)
        Thread.spawn(name: "setter") {
            sleep(seconds: 0.05)
            lock.withLock { $0 = 7 }
            lock.broadcast()
        }
        #expect(lock.withLock(when: { $0 == 7 }, timeout: 5) { value, ready in ready && value == 7 })
        let started = MonotonicClock.now
        #expect(!lock.withLock(when: { $0 == 8 }, timeout: 0.1) { _, ready in ready })
        #expect(MonotonicClock.now - started >= 0.09)
    }

    @Test("A listening socket, a client and the event loop see each other")
    func socketsAndEpoll() throws {
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let loop = try EventLoop()
        try loop.register(listener.fileDescriptor, .accept)
        let client = try Socket.connect(host: "127.0.0.1", port: listener.localPort)
        defer { client.close() }
        #expect(loop.wait(timeout: 2).contains { $0.fileDescriptor == listener.fileDescriptor && $0.readable })
        let accepted = try #require(try listener.accept())
        defer { accepted.socket.close() }
        #expect(accepted.peer == "127.0.0.1")
        #expect(try Array("ping".utf8).withUnsafeBytes { try client.write($0) } == .bytes(4))
        var buffer = [UInt8](repeating: 0, count: 16)
        try loop.register(accepted.socket.fileDescriptor, .read)
        #expect(loop.wait(timeout: 2).contains { $0.fileDescriptor == accepted.socket.fileDescriptor })
        #expect(try buffer.withUnsafeMutableBytes { try accepted.socket.read(into: $0) } == .bytes(4))
        #expect(Array(buffer[0..<4]) == Array("ping".utf8))
        #expect(try buffer.withUnsafeMutableBytes { try accepted.socket.read(into: $0) } == .wouldBlock)
        #expect(try listener.accept() == nil, "no second connection waits")
    }

    @Test("wake() returns a waiting event loop early")
    func wake() throws {
        let loop = try EventLoop()
        Thread.spawn(name: "waker") {
            sleep(seconds: 0.05)
            loop.wake()
        }
        let started = MonotonicClock.now
        #expect(loop.wait(timeout: 5).isEmpty)
        #expect(MonotonicClock.now - started < 2)
    }

    @Test("Errno describes itself")
    func errno() {
        #expect(Errno.noSuchFile.description.contains("No such file"))
    }

    @Test("The x86-64-v3 check agrees with the kernel's CPU flags, and the engine's build runs here")
    func cpuLevel() throws {
        #if arch(x86_64)
        let cpuinfo = try #require(Files.read("/proc/cpuinfo"))
        let flagsLine = try #require(String(decoding: cpuinfo, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        let v3 = ["avx", "avx2", "fma", "f16c", "movbe", "bmi1", "bmi2", "abm", "xsave"].allSatisfy(flags.contains)
        #expect(CPU.hasX86_64_v3 == v3)
        #else
        #expect(!CPU.hasX86_64_v3)
        #endif
        if CPU.hasX86_64_v3 { #expect(CPU.unsupported == nil) }
    }
}
