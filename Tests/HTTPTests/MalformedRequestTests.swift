import HTTP
import Testing

struct Malformed: Sendable, CustomTestStringConvertible {
    var name: String
    var input: String
    var status: Int
    /// Words the error's reason must contain, where the status alone can't tell the right rule fired.
    var reason: String? = nil
    var testDescription: String { "\(name) → \(status)" }
}

let host = "Host: x\r\n"

let malformedRequests: [Malformed] = [
    Malformed(name: "garbage request line", input: "HELLO\r\n\r\n", status: 400),
    Malformed(name: "missing target", input: "GET HTTP/1.1\r\n\(host)\r\n", status: 400),
    Malformed(name: "two spaces", input: "GET  / HTTP/1.1\r\n\(host)\r\n", status: 400),
    Malformed(name: "method with non-token byte", input: "G(T / HTTP/1.1\r\n\(host)\r\n", status: 400),
    Malformed(name: "lowercase http", input: "GET / http/1.1\r\n\(host)\r\n", status: 400),
    Malformed(name: "trailing space after version", input: "GET / HTTP/1.1 \r\n\(host)\r\n", status: 400),
    Malformed(name: "version 2.0", input: "GET / HTTP/2.0\r\n\(host)\r\n", status: 505),
    Malformed(name: "version 0.9", input: "GET / HTTP/0.9\r\n\(host)\r\n", status: 505),
    Malformed(name: "version 3.0", input: "GET / HTTP/3.0\r\n\(host)\r\n", status: 505),
    Malformed(name: "bare CR in request line", input: "GET /\ra HTTP/1.1\r\n\(host)\r\n", status: 400),
    Malformed(name: "relative target", input: "GET a/b HTTP/1.1\r\n\(host)\r\n", status: 400),
    Malformed(name: "bad percent in path", input: "GET /a%zz HTTP/1.1\r\n\(host)\r\n", status: 400),
    Malformed(name: "decoded NUL in path", input: "GET /a%00b HTTP/1.1\r\n\(host)\r\n", status: 400),
    Malformed(name: "invalid UTF-8 in path", input: "GET /%C3%28 HTTP/1.1\r\n\(host)\r\n", status: 400),
    Malformed(name: "space before colon", input: "GET / HTTP/1.1\r\n\(host)X-A : 1\r\n\r\n", status: 400, reason: "before colon"),
    Malformed(name: "tab before colon", input: "GET / HTTP/1.1\r\n\(host)X-A\t: 1\r\n\r\n", status: 400),
    Malformed(name: "obs-fold", input: "GET / HTTP/1.1\r\n\(host)X-A: 1\r\n  continued\r\n\r\n", status: 400, reason: "folding"),
    Malformed(name: "obs-fold with tab", input: "GET / HTTP/1.1\r\n\(host)X-A: 1\r\n\tcontinued\r\n\r\n", status: 400, reason: "folding"),
    Malformed(name: "header without colon", input: "GET / HTTP/1.1\r\n\(host)X-A\r\n\r\n", status: 400),
    Malformed(name: "empty header name", input: "GET / HTTP/1.1\r\n\(host): v\r\n\r\n", status: 400),
    Malformed(name: "NUL in header value", input: "GET / HTTP/1.1\r\n\(host)X-A: a\u{0}b\r\n\r\n", status: 400),
    Malformed(name: "bare CR in header value", input: "GET / HTTP/1.1\r\n\(host)X-A: a\rb\r\n\r\n", status: 400),
    Malformed(name: "missing Host", input: "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", status: 400),
    Malformed(name: "two Host", input: "GET / HTTP/1.1\r\n\(host)\(host)\r\n", status: 400),
    Malformed(name: "CL and TE", input: "POST / HTTP/1.1\r\n\(host)Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400, reason: "both"),
    Malformed(name: "TE and CL", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", status: 400),
    Malformed(name: "CL not a number", input: "POST / HTTP/1.1\r\n\(host)Content-Length: abc\r\n\r\n", status: 400),
    Malformed(name: "CL with sign", input: "POST / HTTP/1.1\r\n\(host)Content-Length: +3\r\n\r\n", status: 400),
    Malformed(name: "negative CL", input: "POST / HTTP/1.1\r\n\(host)Content-Length: -1\r\n\r\n", status: 400),
    Malformed(name: "CL list", input: "POST / HTTP/1.1\r\n\(host)Content-Length: 3, 3\r\n\r\n", status: 400),
    Malformed(name: "empty CL", input: "POST / HTTP/1.1\r\n\(host)Content-Length:\r\n\r\n", status: 400),
    Malformed(name: "CL overflow", input: "POST / HTTP/1.1\r\n\(host)Content-Length: 99999999999999999999\r\n\r\n", status: 400),
    Malformed(name: "conflicting CL", input: "POST / HTTP/1.1\r\n\(host)Content-Length: 3\r\nContent-Length: 4\r\n\r\n", status: 400),
    Malformed(name: "TE gzip", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip\r\n\r\n", status: 501),
    Malformed(name: "TE gzip, chunked", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip, chunked\r\n\r\n", status: 501),
    Malformed(name: "TE twice", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", status: 501),
    Malformed(name: "TE in HTTP/1.0", input: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400),
    Malformed(name: "bad chunk size", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\nxyz\r\n", status: 400),
    Malformed(name: "empty chunk size", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n\r\n", status: 400),
    Malformed(name: "chunk size with sign", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n-1\r\n", status: 400),
    Malformed(name: "huge chunk size overflows", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", status: 400),
    Malformed(name: "chunk data without CRLF", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", status: 400),
    Malformed(name: "bad trailer", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", status: 400),
    Malformed(name: "CL over limit", input: "POST / HTTP/1.1\r\n\(host)Content-Length: 101\r\n\r\n", status: 413),
    Malformed(name: "chunk over limit", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n65\r\n", status: 413),
    Malformed(name: "huge chunk under Int.max", input: "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\nfffffffffff\r\n", status: 413),
]

@Suite struct MalformedRequestTests {
    @Test(arguments: malformedRequests)
    func rejected(_ example: Malformed) {
        let outcome = parse(example.input, bodyLimit: 100)
        #expect(outcome.requests.isEmpty)
        #expect(outcome.status == example.status, "\(String(describing: outcome.error))")
        if let reason = example.reason {
            #expect(outcome.error?.reason.contains(reason) == true, "\(String(describing: outcome.error))")
        }
    }

    @Test(arguments: malformedRequests)
    func rejectedByteByByte(_ example: Malformed) {
        #expect(parse(example.input, pieceSize: 1, bodyLimit: 100).status == example.status)
    }

    @Test func oversizedHeadIs431WithoutTheBlankLine() {
        var parser = RequestParser(bodyLimit: { _ in 0 })
        parser.append(bytes("GET / HTTP/1.1\r\nHost: x\r\n"))
        let filler = bytes("X-Filler: " + String(repeating: "a", count: 1000) + "\r\n")
        var status: Int? = nil
        var appended = 0
        while status == nil && appended < 64 {
            parser.append(filler)
            appended += 1
            do { _ = try parser.next() } catch { status = error.status.code }
        }
        #expect(status == 431)
        #expect(appended == 17)  // the first append that takes the head past 16 KiB
    }

    @Test func headSizeLimitIsConfigurable() {
        let request = "GET / HTTP/1.1\r\nHost: x\r\nX-A: " + String(repeating: "b", count: 100) + "\r\n\r\n"
        #expect(parse(request, maxHeaderBytes: 64).status == 431)
        #expect(parse(request, maxHeaderBytes: request.utf8.count).error == nil)
        #expect(parse(request, maxHeaderBytes: request.utf8.count - 1).status == 431)
    }

    @Test func targetOver8KiBIs414() {
        let long = "GET /" + String(repeating: "a", count: 8 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(parse(long).status == 414)
        #expect(parse(String(long.utf8.prefix(8 * 1024 + 100))!).status == 414)  // detected before the line ends
        let fits = "GET /" + String(repeating: "a", count: 8 * 1024 - 1) + " HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(parse(fits).error == nil)
    }

    @Test func longMethodIs400() {
        #expect(parse(String(repeating: "A", count: 100)).status == 400)
    }

    @Test func contentLengthOverLimitFailsBeforeTheBody() {
        var parser = RequestParser(bodyLimit: { head in head.path == "/big" ? 1000 : 10 })
        parser.append(bytes("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n"))
        #expect(throws: HTTPParseError.self) { try parser.next() }
        var big = RequestParser(bodyLimit: { head in head.path == "/big" ? 1000 : 10 })
        big.append(bytes("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n"))
        #expect(throws: Never.self) { try big.next() }
    }

    @Test func chunkedOverLimitFailsAsSoonAsItPassesIt() {
        var parser = RequestParser(bodyLimit: { _ in 10 })
        parser.append(bytes("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n"))
        #expect(throws: Never.self) { try parser.next() }
        parser.append(bytes("5\r\n"))  // 11 > 10, before the chunk's data arrives
        do {
            _ = try parser.next()
            Issue.record("expected 413")
        } catch {
            #expect(error.status == .payloadTooLarge)
        }
    }

    @Test func errorsAreSticky() {
        var parser = RequestParser(bodyLimit: { _ in 0 })
        parser.append(bytes("BAD\r\n\r\n"))
        #expect(throws: HTTPParseError.self) { try parser.next() }
        parser.append(bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(throws: HTTPParseError.self) { try parser.next() }
    }

    @Test func requestBeforeAnErrorIsStillDelivered() {
        let outcome = parse("GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /bad HTTP/9.9\r\n\r\n")
        #expect(outcome.requests.map(\.path) == ["/ok"])
        #expect(outcome.status == 505)
    }
}
