import Glibc
import HTTPClient
import Platform
import Testing
import TestSupport

@Suite("HTTP client (webhooks, the CLI)")
struct HTTPClientTests {
    @Test("URLs: scheme, host, port and target; anything else is refused with a reason")
    func urls() throws {
        let plain = try ClientURL("http://Example.com:8080/hooks/a?x=1")
        #expect(!plain.isSecure && plain.host == "example.com" && plain.port == 8080 && plain.target == "/hooks/a?x=1")
        #expect(plain.hostHeader == "example.com:8080")
        let secure = try ClientURL("https://hooks.example.com")
        #expect(secure.isSecure && secure.port == 443 && secure.target == "/" && secure.hostHeader == "hooks.example.com")
        let v6 = try ClientURL("http://[::1]:9000?q")
        #expect(v6.host == "::1" && v6.port == 9000 && v6.target == "/?q" && v6.hostHeader == "[::1]:9000")
        for bad in ["ftp://example.com/", "example.com", "http://", "http://user:pw@example.com/", "http://example.com:0/",
                    "http://example.com:99999/", "http://example.com/a b", "http://example.com/#frag", "http://[::1/"] {
            #expect(throws: HTTPClientError.self, "\(bad)") { try ClientURL(bad) }
        }
    }

    @Test("Requests against a live server: a Content-Length body, a chunked stream, a body cap")
    func againstServer() throws {
        let server = try TestServer()
        let client = HTTPClient(timeout: 5)
        let echo = try client.send("POST", try ClientURL("http://127.0.0.1:\(server.port)/echo"), body: Array("hello".utf8))
        #expect(echo.status == 200 && echo.body == Array("hello".utf8))
        #expect(try client.send("GET", try ClientURL("http://localhost:\(server.port)/items/7")).body == Array(#"{"id":"7"}"#.utf8))

        var pieces: [String] = []
        let stream = try client.stream("GET", try ClientURL("http://127.0.0.1:\(server.port)/stream?n=3"), onHead: { _ in },
                                       onBody: { pieces.append(String(decoding: $0, as: UTF8.self)) })
        #expect(stream.header("content-type") == "text/event-stream")
        #expect(pieces.joined() == "data: piece-0\n\ndata: piece-1\n\ndata: piece-2\n\n")

        let big = try client.send("GET", try ClientURL("http://127.0.0.1:\(server.port)/big"))
        #expect(big.body.count == 80 * 64 * 1024 && big.body[64 * 1024] == 1)
        let capped = HTTPClient(timeout: 5, maxBodyBytes: 1000)
        #expect(try capped.send("GET", try ClientURL("http://127.0.0.1:\(server.port)/big")).body.count == 1000)
        #expect(try client.send("GET", try ClientURL("http://127.0.0.1:\(server.port)/nothing-here")).status == 404)
    }

    @Test("Refused addresses, closed ports and unknown hosts fail with their reason")
    func failures() throws {
        let onlyPublic = HTTPClient(timeout: 2, allows: { $0.isPublic })
        #expect(throws: HTTPClientError.refusedAddress(host: "127.0.0.1", address: "127.0.0.1")) {
            try onlyPublic.send("GET", try ClientURL("http://127.0.0.1:1/"))
        }
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        let closedPort = listener.localPort
        listener.close()
        do {
            _ = try HTTPClient(timeout: 2).send("GET", try ClientURL("http://127.0.0.1:\(closedPort)/"))
            Issue.record("a closed port answered")
        } catch let error as HTTPClientError {
            guard case .connect = error else { Issue.record("expected a connect error, got \(error)"); return }
        }
        #expect(throws: HTTPClientError.self) { try HTTPClient(timeout: 2).send("GET", try ClientURL("http://no-such-host.invalid/")) }
    }

    /// A one-connection peer on loopback that reads the request, then runs `answer` on the socket.
    static func peer(_ answer: @escaping @Sendable (Socket) -> Void) throws -> Int {
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        let port = listener.localPort
        Thread.spawn(name: "peer") {
            var accepted: Socket?
            while accepted == nil {
                accepted = (try? listener.accept())??.socket
                if accepted == nil { sleep(seconds: 0.01) }
            }
            listener.close()
            guard let connection = accepted else { return }
            _ = fcntl(connection.fileDescriptor, F_SETFL, fcntl(connection.fileDescriptor, F_GETFL) & ~O_NONBLOCK)
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = buffer.withUnsafeMutableBytes { try? connection.read(into: $0) }
            answer(connection)
            connection.close()
        }
        return port
    }

    static func send(_ socket: Socket, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { try? socket.write($0) }
    }

    @Test("A peer that sends endless headers, endless interim responses or drips bytes is cut off")
    func hostilePeers() throws {
        let headers = try Self.peer { socket in
            Self.send(socket, "HTTP/1.1 200 OK\r\n")
            for i in 0..<500 { Self.send(socket, "X-Filler-\(i): yes\r\n") }
        }
        #expect(throws: HTTPClientError.badResponse("more than 100 headers")) {
            try HTTPClient(timeout: 2).send("GET", try ClientURL("http://127.0.0.1:\(headers)/"))
        }
        let interim = try Self.peer { socket in
            for _ in 0..<20 { Self.send(socket, "HTTP/1.1 100 Continue\r\n\r\n") }
        }
        #expect(throws: HTTPClientError.badResponse("more than 5 interim responses")) {
            try HTTPClient(timeout: 2).send("GET", try ClientURL("http://127.0.0.1:\(interim)/"))
        }
        let drip = try Self.peer { socket in
            for byte in "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".utf8 {
                Self.send(socket, String(UnicodeScalar(byte)))
                sleep(seconds: 0.2)
            }
        }
        let started = MonotonicClock.now
        #expect(throws: HTTPClientError.timedOut) {
            try HTTPClient(timeout: 1, totalTimeout: 1.5).send("GET", try ClientURL("http://127.0.0.1:\(drip)/"))
        }
        #expect(MonotonicClock.now - started < 2.5, "the whole request is bounded, not each read")
    }

    @Test("TLS: verified against the given CA and the host name; an untrusted or misnamed certificate is refused")
    func tls() throws {
        let folder = try Shell.temporaryFolder()
        defer { _ = system("rm -rf '\(folder)'") }
        try Shell.makeCertificate(in: folder, subjectAltName: "DNS:localhost")
        // openssl s_server answers `GET /` with a page describing the session (-www).
        let process = try BackgroundProcess("exec openssl s_server -accept 127.0.0.1:0 -cert '\(folder)/cert.pem' -key '\(folder)/key.pem' -www -naccept 4")
        defer { process.terminate() }
        let port = try #require(process.waitForLine(containing: "ACCEPT", timeout: 10)?.split(separator: ":").last.flatMap { Int($0) })

        let trusting = HTTPClient(timeout: 5, caFile: folder + "/cert.pem")
        let page = try trusting.send("GET", try ClientURL("https://localhost:\(port)/"))
        #expect(page.status == 200 && String(decoding: page.body, as: UTF8.self).contains("Ciphers supported in s_server binary"))

        #expect(throws: HTTPClientError.tls("self-signed certificate")) {
            try HTTPClient(timeout: 5).send("GET", try ClientURL("https://localhost:\(port)/"))
        }
        // The same server reached by its address: the certificate names only `localhost`.
        #expect(throws: HTTPClientError.tls("IP address mismatch")) {
            try trusting.send("GET", try ClientURL("https://127.0.0.1:\(port)/"))
        }
    }
}
