import HTTP
import Testing

@Suite struct RequestParserTests {
    @Test func simpleGet() throws {
        let outcome = parse("GET /healthz HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\n\r\n")
        #expect(outcome.error == nil)
        let request = try #require(outcome.requests.first)
        #expect(outcome.events.count == 1)
        #expect(request.method == "GET")
        #expect(request.target == "/healthz")
        #expect(request.path == "/healthz")
        #expect(request.head.versionMinor == 1)
        #expect(request.headers["host"] == "localhost:8080")
        #expect(request.headers["USER-AGENT"] == "wrk")
        #expect(request.body.isEmpty)
        #expect(request.keepAlive)
    }

    @Test func postWithContentLength() throws {
        let outcome = parse("POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 13\r\n\r\n{\"a\": [1, 2]}")
        let request = try #require(outcome.requests.first)
        #expect(request.method == "POST")
        #expect(request.body == bytes("{\"a\": [1, 2]}"))
        #expect(request.headers["Content-Length"] == "13")
    }

    @Test func headerValuesAreTrimmedAndOrdered() throws {
        let outcome = parse("GET / HTTP/1.1\r\nHost:x\r\nX-A: \t one \t\r\nx-a:two\r\nX-Empty:\r\n\r\n")
        let request = try #require(outcome.requests.first)
        #expect(request.headers.values("X-A") == ["one", "two"])
        #expect(request.headers["host"] == "x")
        #expect(request.headers["x-empty"] == "")
        #expect(request.headers.map(\.name) == ["Host", "X-A", "x-a", "X-Empty"])
    }

    @Test func chunkedWithExtensionsAndTrailers() throws {
        let input = "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value;flag\r\nhello\r\n" + "7 ; x=\"q\"\r\n, world\r\n" + "A\r\n0123456789\r\n"
            + "0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"
        for pieceSize in [nil, 1, 3, 7] {
            let outcome = parse(input, pieceSize: pieceSize)
            #expect(outcome.error == nil)
            let request = try #require(outcome.requests.first)
            #expect(String(decoding: request.body, as: UTF8.self) == "hello, world0123456789")
            #expect(request.headers["X-Checksum"] == nil)  // trailers are discarded
        }
    }

    @Test func chunkedWithoutTrailersAndUppercaseHex() throws {
        let body = String(repeating: "z", count: 0x1F)
        let input = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n1f\r\n\(body)\r\n0\r\n\r\n"
            + "GET /after HTTP/1.1\r\nHost: x\r\n\r\n"
        let outcome = parse(input)
        #expect(outcome.requests.map(\.body.count) == [0x1F, 0])
        #expect(outcome.requests.map(\.path) == ["/", "/after"])
    }

    static let pipelined =
        "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
        + "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
        + "DELETE /three?id=7 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"

    @Test func pipelinedRequestsComeOutInOrder() throws {
        var parser = RequestParser(bodyLimit: { _ in 100 })
        parser.append(bytes(Self.pipelined))
        var paths: [String] = []
        var bodies: [String] = []
        while let event = try parser.next() {
            guard case .request(let request) = event else {
                Issue.record("unexpected event \(event)")
                continue
            }
            paths.append(request.path)
            bodies.append(String(decoding: request.body, as: UTF8.self))
        }
        #expect(paths == ["/one", "/two", "/three"])
        #expect(bodies == ["", "abc", "hi"])
        #expect(!parser.hasBufferedBytes)
        #expect(!parser.isMidRequest)
    }

    @Test(arguments: [1, 2, 5, 11, 64])
    func splitAcrossAppends(pieceSize: Int) throws {
        let whole = parse(Self.pipelined)
        let split = parse(Self.pipelined, pieceSize: pieceSize)
        #expect(split.error == nil)
        #expect(split.requests.map(\.path) == whole.requests.map(\.path))
        #expect(split.requests.map(\.body) == whole.requests.map(\.body))
        #expect(split.requests.map(\.method) == ["GET", "POST", "DELETE"])
    }

    @Test func bareLineFeedsAreTolerated() throws {
        let outcome = parse("POST /lf HTTP/1.1\nHost: x\nContent-Length: 2\n\nok")
        let request = try #require(outcome.requests.first)
        #expect(request.headers["Host"] == "x")
        #expect(request.body == bytes("ok"))
    }

    @Test func emptyLinesBeforeRequestLineAreIgnored() throws {
        let outcome = parse("\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(outcome.requests.map(\.path) == ["/a"])
    }

    @Test func absoluteFormAndAsteriskTargets() throws {
        let absolute = parse("GET http://example.com:80/p/q?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(absolute.requests.first?.path == "/p/q")
        #expect(absolute.requests.first?.queryValue("x") == "1")
        let bare = parse("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(bare.requests.first?.path == "/")
        let asterisk = parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(asterisk.requests.first?.path == "*")
    }

    @Test func versions() throws {
        #expect(parse("GET / HTTP/1.0\r\n\r\n").requests.first?.head.versionMinor == 0)  // no Host needed
        // RFC 9110 2.5: a later minor version of 1.x is handled as 1.1.
        #expect(parse("GET / HTTP/1.7\r\nHost: x\r\n\r\n").requests.first?.head.versionMinor == 1)
    }

    @Test func bufferStateWhileMidRequest() throws {
        var parser = RequestParser(bodyLimit: { _ in 100 })
        #expect(!parser.isMidRequest && !parser.hasBufferedBytes)
        parser.append(bytes("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab"))
        #expect(try parser.next() == nil)
        #expect(parser.isMidRequest)
        parser.append(bytes("cdGET"))
        guard case .request(let request) = try parser.next() else {
            Issue.record("expected a request")
            return
        }
        #expect(request.body == bytes("abcd"))
        #expect(parser.hasBufferedBytes && parser.isMidRequest)
        #expect(try parser.next() == nil)
    }

    @Test func manyKeepAliveRequestsReuseOneParser() throws {
        var parser = RequestParser(bodyLimit: { _ in 0 })
        let request = bytes("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        for i in 0..<5_000 {
            // alternate whole and split appends so compaction runs with leftovers too
            if i % 2 == 0 {
                parser.append(request)
            } else {
                parser.append(Array(request[..<10]))
                #expect(try parser.next() == nil)
                parser.append(Array(request[10...]))
            }
            guard case .request(let parsed) = try parser.next() else {
                Issue.record("request \(i) missing")
                return
            }
            #expect(parsed.path == "/healthz")
        }
        #expect(!parser.hasBufferedBytes)
    }

    @Test func rawBufferAppend() throws {
        var parser = RequestParser(bodyLimit: { _ in 0 })
        bytes("GET /raw HTTP/1.1\r\nHost: x\r\n\r\n").withUnsafeBytes { parser.append($0) }
        guard case .request(let request) = try parser.next() else {
            Issue.record("expected a request")
            return
        }
        #expect(request.path == "/raw")
    }
}
