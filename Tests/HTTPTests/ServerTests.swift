@testable import HTTP
import JSON
import Platform
import Synchronization
import Testing
import TestSupport

/// A server on a free port with a few routes: an inline one, a slow pooled one, an echo with
/// a small body limit.
final class TestServer {
    let server: Server
    var port: Int { server.port }

    init(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.loopThreads = 2
        configuration.handlerThreads = 4
        adjust(&configuration)
        let router = Router { routes in
            routes.add("GET", "/fast", RouteOptions(inline: true)) { _, _ in .text("fast") }
            routes.add("GET", "/slow") { request, _ in
                sleep(seconds: Double(request.queryValue("ms") ?? "50")! / 1000)
                return .text("slow \(request.queryValue("n") ?? "")")
            }
            routes.add("POST", "/echo", RouteOptions(bodyLimit: 1024)) { request, _ in
                HTTPResponse(status: .ok, contentType: "application/octet-stream", body: String(decoding: request.body, as: UTF8.self))
            }
            routes.add("GET", "/items/{id}") { _, context in .json(["id": .string(context.parameter("id"))]) }
            routes.add("GET", "/boom") { _, _ in throw Errno.invalidArgument }
            routes.add("GET", "/stream") { request, _ in
                let count = Int(request.queryValue("n") ?? "3")!
                return HTTPResponse(headers: ["Content-Type": "text/event-stream"], stream: HTTPBodyStream { write in
                    for i in 0..<count { try write(Array("data: piece-\(i)\n\n".utf8)) }
                })
            }
            routes.add("GET", "/big") { _, _ in
                HTTPResponse(stream: HTTPBodyStream { write in
                    for i in 0..<80 { try write([UInt8](repeating: UInt8(i), count: 64 * 1024)) }
                })
            }
            routes.add("GET", "/broken") { _, _ in
                HTTPResponse(stream: HTTPBodyStream { write in
                    try write(Array("partial".utf8))
                    throw Errno.invalidArgument
                })
            }
        }
        server = Server(configuration: configuration, router: router, metrics: RequestMetrics())
        try server.start()
    }

    deinit { server.shutdown(grace: 2) }
}

@Suite("HTTP server on sockets")
struct ServerTests {
    @Test("Keep-alive: several requests on one connection")
    func keepAlive() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        for _ in 0..<3 {
            let response = try client.request("GET", "/fast")
            #expect(response.status == 200 && response.text == "fast")
        }
        #expect(try client.request("GET", "/items/42").json["id"] == "42")
    }

    @Test("Pipelined requests are answered in order, inline and pooled mixed")
    func pipelining() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send("GET /slow?n=1&ms=80 HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /slow?n=3&ms=10 HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        var bodies: [String] = []
        for _ in 0..<4 { bodies.append(try client.readResponse()?.text ?? "none") }
        #expect(bodies == ["slow 1", "fast", "slow 3", "hello"])
    }

    @Test("Headers over 16 KiB get 431 and the connection closes")
    func headersTooLarge() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send("GET /fast HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 17 * 1024))\r\n\r\n")
        let response = try client.readResponse()
        #expect(response?.status == 431)
        #expect(response?.json["error"]?["message"]?.string != nil)
        #expect(client.isClosedByServer())
    }

    @Test("A body over the route's limit gets 413 before it is sent (Content-Length and chunked)")
    func bodyTooLarge() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
        #expect(try client.readResponse()?.status == 413)
        let chunked = try TestClient(port: server.port)
        try chunked.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + String(repeating: "z", count: 2048) + "\r\n")
        #expect(try chunked.readResponse()?.status == 413)
    }

    @Test("Expect: 100-continue gets an interim response, then the final one")
    func expectContinue() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        #expect(try client.readResponse()?.status == 100)
        try client.send("abc")
        #expect(try client.readResponse()?.text == "abc")
    }

    @Test("A client that stalls mid-request gets 408 and is closed")
    func slowClient() throws {
        let server = try TestServer { $0.readTimeout = 0.4 }
        let client = try TestClient(port: server.port)
        try client.send("GET /fast HTTP/1.1\r\nHost: x\r\n")
        let response = try client.readResponse()
        #expect(response?.status == 408)
        #expect(client.isClosedByServer())
    }

    @Test("Slowloris: a head trickling in a byte at a time gets 408 once the head timeout passes")
    func slowHead() throws {
        let server = try TestServer { $0.headTimeout = 1; $0.readTimeout = 30 }
        let client = try TestClient(port: server.port, timeout: 5)
        let started = MonotonicClock.now
        var status: Int?
        for byte in "GET /fast HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8 + Array(repeating: UInt8(ascii: "a"), count: 100) {
            guard (try? client.send([byte])) != nil else { break }
            sleep(seconds: 0.1)
            if MonotonicClock.now - started > 1.5 { break }
        }
        status = try client.readResponse()?.status
        #expect(status == 408)
        #expect(MonotonicClock.now - started < 3, "cut at about the head timeout, not the read timeout")
        #expect(client.isClosedByServer())
    }

    @Test("An idle keep-alive connection gets 408 and is closed")
    func idleClient() throws {
        let server = try TestServer { $0.idleTimeout = 0.4 }
        let client = try TestClient(port: server.port)
        #expect(try client.request("GET", "/fast").status == 200)
        #expect(try client.readResponse()?.status == 408)
        #expect(client.isClosedByServer())
    }

    @Test("Past the connection limit new clients get 503")
    func connectionLimit() throws {
        let server = try TestServer { $0.maxConnections = 2; $0.loopThreads = 1 }
        let first = try TestClient(port: server.port)
        let second = try TestClient(port: server.port)
        #expect(try first.request("GET", "/fast").status == 200)
        #expect(try second.request("GET", "/fast").status == 200)
        let third = try TestClient(port: server.port)
        #expect(try third.readResponse()?.status == 503)
    }

    @Test("Request ids are echoed or generated")
    func requestIDs() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        #expect(try client.request("GET", "/fast", headers: [("X-Request-Id", "abc-123")]).headers["X-Request-Id"] == "abc-123")
        let generated = try client.request("GET", "/fast").headers["X-Request-Id"] ?? ""
        #expect(!generated.isEmpty && generated != "abc-123")
    }

    @Test("Unknown routes, wrong methods and handler errors answer in the API error shape")
    func errors() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        let missing = try client.request("GET", "/nope")
        #expect(missing.status == 404 && missing.json["error"]?["type"] == "not_found_error")
        let wrong = try client.request("DELETE", "/fast")
        #expect(wrong.status == 405 && wrong.json["error"]?["code"] == "method_not_allowed")
        let boom = try client.request("GET", "/boom")
        #expect(boom.status == 500 && boom.json["error"]?["message"]?.string?.contains("request id") == true)
        let bad = try TestClient(port: server.port)
        try bad.send("GET /fast HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n")
        #expect(try bad.readResponse()?.status == 400)
    }

    @Test("Shutdown finishes in-flight requests, then refuses new connections")
    func gracefulShutdown() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send("GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n")
        sleep(seconds: 0.1)
        let started = MonotonicClock.now
        #expect(server.server.shutdown(grace: 5))
        #expect(MonotonicClock.now - started < 2)
        let response = try client.readResponse()
        #expect(response?.status == 200 && response?.text == "slow ")
        #expect(client.isClosedByServer())
        #expect(throws: Errno.self) { _ = try TestClient(port: server.port) }
    }

    @Test("Streamed bodies are chunked, keep the connection, and keep pipelined order")
    func streaming() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send("GET /stream?n=4 HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        let streamed = try client.readResponse()
        #expect(streamed?.headers["Transfer-Encoding"] == "chunked" && streamed?.headers["Content-Length"] == nil)
        #expect(streamed?.text == "data: piece-0\n\ndata: piece-1\n\ndata: piece-2\n\ndata: piece-3\n\n")
        #expect(try client.readResponse()?.text == "fast")
        #expect(try client.request("GET", "/stream?n=1").text == "data: piece-0\n\n")
    }

    @Test("A large stream to a slow reader arrives whole (back-pressure)")
    func bigStream() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        sleep(seconds: 0.3)  // the server fills the socket buffers and must wait for us
        let body = try client.readResponse()?.body ?? []
        #expect(body.count == 80 * 64 * 1024)
        #expect(body[0] == 0 && body[64 * 1024] == 1 && body.last == 79)
    }

    @Test("HTTP/1.0 streams end with the connection; a failing stream is cut off, not ended")
    func streamEdges() throws {
        let server = try TestServer()
        let old = try TestClient(port: server.port)
        try old.send("GET /stream?n=2 HTTP/1.0\r\n\r\n")
        let response = try old.readResponse()
        #expect(response?.headers["Connection"] == "close" && response?.text == "data: piece-0\n\ndata: piece-1\n\n")
        let broken = try TestClient(port: server.port)
        try broken.send("GET /broken HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try broken.readResponse() == nil, "no terminating chunk: the client sees a truncated body")
    }

    func waitForConnections(_ server: TestServer, _ count: Int, within seconds: Double) -> Bool {
        let deadline = MonotonicClock.now + seconds
        while MonotonicClock.now < deadline {
            if server.server.connectionCount.load(ordering: .relaxed) == count { return true }
            sleep(seconds: 0.01)
        }
        return false
    }

    @Test("A client that hangs up mid-request, or while its handler runs, is closed at once")
    func peerHangsUp() throws {
        let server = try TestServer()
        do {
            let client = try TestClient(port: server.port)
            try client.send("GET /fast HTTP/1.1\r\nHost: x\r\n")
            #expect(waitForConnections(server, 1, within: 2))
        }
        #expect(waitForConnections(server, 0, within: 1), "closed mid-request")
        do {
            let client = try TestClient(port: server.port)
            try client.send("GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n")
            sleep(seconds: 0.05)
        }
        #expect(waitForConnections(server, 0, within: 2), "closed once the handler finished")
    }

    @Test("A half-closed client (shutdown of its sending side after the request) still gets its answer, pooled or streamed")
    func halfClosedClient() throws {
        let server = try TestServer()
        for (path, want) in [("/slow?n=7&ms=200", "slow 7"), ("/fast", "fast"), ("/stream?n=4", "data: piece-3\n\n")] {
            let client = try TestClient(port: server.port)
            try client.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            client.socket.shutdownWrite()
            let response = try #require(try client.readResponse(), "\(path): no answer")
            #expect(response.status == 200 && response.text.hasSuffix(want), "\(path): \(response.text)")
        }
        #expect(waitForConnections(server, 0, within: 2), "closed once answered")
    }

    @Test("An error answer reaches a client that is still sending its body (lingering close)")
    func lingeringClose() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n")
        try client.send([UInt8](repeating: 0x61, count: 300_000))
        #expect(try client.readResponse()?.status == 413)
    }

    @Test("Unknown methods are counted as OTHER, so clients cannot grow the metrics")
    func methodLabels() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        _ = try client.request("BREW", "/fast")
        #expect(server.server.metrics.render().contains("method=\"OTHER\",status=\"405\""))
        #expect(!server.server.metrics.render().contains("BREW"))
    }
}
