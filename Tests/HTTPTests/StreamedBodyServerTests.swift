@testable import HTTP
import JSON
import Platform
import Synchronization
import Testing
import TestSupport

/// A server with one route that streams its body: it counts and sums the bytes, waits for the
/// test to open its gate first when asked (`?wait`), and answers early when asked (`?stop=N`).
final class UploadServer: Sendable {
    final class Gate: Sendable {
        let open = Atomic<Bool>(false)
        let failures = Mutex<[Int]>([])
    }
    let server: Server
    let gate = Gate()
    var port: Int { server.port }

    init(readTimeout: Double = 30) throws {
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.loopThreads = 1
        configuration.handlerThreads = 2
        configuration.readTimeout = readTimeout
        let gate = self.gate
        let router = Router { routes in
            routes.add("POST", "/upload", RouteOptions(bodyLimit: 1 << 30, streamsBody: true)) { request, context in
                if request.queryValue("wait") != nil {
                    while !gate.open.load(ordering: .relaxed) { sleep(seconds: 0.01) }
                }
                let stop = request.queryValue("stop").flatMap { Int($0) }
                var count = 0, sum = 0
                do {
                    while let part = try context.body?.next() {
                        count += part.count
                        for b in part { sum &+= Int(b) }
                        if let stop, count >= stop { return .json(["stopped": .int(Int64(count))]) }
                    }
                } catch {
                    gate.failures.withLock { $0.append((error as? HTTPError)?.status.code ?? 0) }
                    throw error
                }
                return .json(["bytes": .int(Int64(count)), "sum": .int(Int64(sum)), "streamed": .bool(context.body != nil)])
            }
        }
        server = Server(configuration: configuration, router: router, metrics: RequestMetrics())
        try server.start()
    }

    deinit { server.shutdown(grace: 2) }

    func connections(_ count: Int, within seconds: Double) -> Bool {
        let deadline = MonotonicClock.now + seconds
        while MonotonicClock.now < deadline {
            if server.connectionCount.load(ordering: .relaxed) == count { return true }
            sleep(seconds: 0.01)
        }
        return false
    }
}

@Suite("Request bodies streamed to the handler", .serialized)
struct StreamedBodyServerTests {
    static func pattern(_ count: Int, from offset: Int = 0) -> [UInt8] { (offset..<offset + count).map { UInt8($0 % 253) } }
    static func sum(_ bytes: [UInt8]) -> Int { bytes.reduce(0) { $0 &+ Int($1) } }

    @Test("While the handler does not read, the server stops reading: the client's writes block (back-pressure)")
    func backPressure() throws {
        let server = try UploadServer()
        let client = try TestClient(port: server.port, timeout: 30)
        let total = 64 << 20
        try client.send("POST /upload?wait HTTP/1.1\r\nHost: x\r\nContent-Length: \(total)\r\n\r\n")
        client.socket.setSendTimeout(seconds: 0.5)
        let body = Self.pattern(total)
        var sent = 0
        while sent < total {
            let result = try body.withUnsafeBytes { raw throws(Errno) in
                try client.socket.write(UnsafeRawBufferPointer(rebasing: raw[sent..<min(total, sent + (1 << 20))]))
            }
            guard case .bytes(let n) = result else { break }
            sent += n
        }
        // Kernel buffers on both sides (a few MiB each) plus the 4 MiB the body holds; not 64 MiB.
        #expect(sent < 32 << 20, "the server read \(sent >> 20) MiB that its handler had not taken")
        server.gate.open.store(true, ordering: .relaxed)
        client.socket.setSendTimeout(seconds: 30)
        try client.send(Array(body[sent...]))
        let response = try #require(try client.readResponse())
        #expect(response.json["bytes"] == .int(Int64(total)) && response.json["sum"] == .int(Int64(Self.sum(body))))
    }

    @Test("A chunked body arrives whole, then the connection serves the next request")
    func chunkedThenKeepAlive() throws {
        let server = try UploadServer()
        let client = try TestClient(port: server.port)
        let body = Self.pattern(10 << 20)
        try client.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        var offset = 0, size = 1
        while offset < body.count {
            let n = min(size, body.count - offset)
            try client.send(Array((String(n, radix: 16) + "\r\n").utf8) + Array(body[offset..<offset + n]) + [13, 10])
            offset += n
            size = size * 7 % 1_000_003 + 1
        }
        try client.send("0\r\n\r\n")
        let response = try #require(try client.readResponse())
        #expect(response.json["bytes"] == .int(Int64(body.count)) && response.json["sum"] == .int(Int64(Self.sum(body))))
        #expect(response.json["streamed"] == .bool(true))
        let next = try client.request("POST", "/upload", body: Array("abc".utf8))
        #expect(next.json["bytes"] == .int(3))
    }

    @Test("A handler that answers before the body ends is heard; the connection then closes")
    func earlyAnswer() throws {
        let server = try UploadServer()
        let client = try TestClient(port: server.port)
        try client.send("POST /upload?stop=1000 HTTP/1.1\r\nHost: x\r\nContent-Length: \(20 << 20)\r\n\r\n")
        try client.send(Self.pattern(1 << 20))
        let response = try #require(try client.readResponse())
        #expect(response.status == 200 && response.json["stopped"] != nil)
        #expect(server.connections(0, within: 5), "closed after the answer (the rest of the body is not read)")
    }

    @Test("A client that hangs up mid-body, or stalls, fails the handler's read (400, 408), and nothing is left open")
    func hangUpAndStall() throws {
        let server = try UploadServer(readTimeout: 0.5)
        do {
            let client = try TestClient(port: server.port)
            try client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
            try client.send(Self.pattern(300_000))
            sleep(seconds: 0.1)
        }
        #expect(server.connections(0, within: 5))
        let stalled = try TestClient(port: server.port)
        try stalled.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        try stalled.send(Self.pattern(10))
        #expect(try stalled.readResponse()?.status == 408)
        #expect(server.gate.failures.withLock { $0 } == [400, 408])
    }

    @Test("A malformed chunked body midway answers the parser's error to the handler, then closes")
    func malformedMidway() throws {
        let server = try UploadServer()
        let client = try TestClient(port: server.port)
        try client.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n")
        #expect(try client.readResponse()?.status == 400)
        #expect(server.connections(0, within: 5))
    }
}
