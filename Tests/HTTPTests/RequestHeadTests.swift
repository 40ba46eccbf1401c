import HTTP
import Testing

struct KeepAliveCase: Sendable, CustomTestStringConvertible {
    var version: String
    var connection: String?
    var keepAlive: Bool
    var testDescription: String { "\(version) Connection: \(connection ?? "-") → \(keepAlive)" }
}

@Suite struct RequestHeadTests {
    @Test(arguments: [
        KeepAliveCase(version: "1.1", connection: nil, keepAlive: true),
        KeepAliveCase(version: "1.1", connection: "close", keepAlive: false),
        KeepAliveCase(version: "1.1", connection: "Close", keepAlive: false),
        KeepAliveCase(version: "1.1", connection: "Upgrade, close", keepAlive: false),
        KeepAliveCase(version: "1.1", connection: "keep-alive", keepAlive: true),
        KeepAliveCase(version: "1.1", connection: "closed", keepAlive: true),
        KeepAliveCase(version: "1.0", connection: nil, keepAlive: false),
        KeepAliveCase(version: "1.0", connection: "keep-alive", keepAlive: true),
        KeepAliveCase(version: "1.0", connection: "Keep-Alive", keepAlive: true),
        KeepAliveCase(version: "1.0", connection: "close", keepAlive: false),
    ])
    func keepAlive(_ example: KeepAliveCase) throws {
        let connection = example.connection.map { "Connection: \($0)\r\n" } ?? ""
        let outcome = parse("GET / HTTP/\(example.version)\r\nHost: x\r\n\(connection)\r\n")
        let request = try #require(outcome.requests.first)
        #expect(request.keepAlive == example.keepAlive)
    }

    @Test func queryDecoding() throws {
        let target = "/v1/files?purpose=fine-tune&q=a+b%20c&metadata[k]=v&metadata%5Bj%5D=w&empty=&flag&&x=1=2&bad=%zz%4"
        let request = try #require(parse("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n").requests.first)
        #expect(request.target == target)
        #expect(request.path == "/v1/files")
        let pairs = request.head.query.map { "\($0.0)=\($0.1)" }
        #expect(pairs == ["purpose=fine-tune", "q=a b c", "metadata[k]=v", "metadata[j]=w", "empty=", "flag=", "x=1=2", "bad=%zz%4"])
        #expect(request.queryValue("purpose") == "fine-tune")
        #expect(request.queryValue("metadata[k]") == "v")
        #expect(request.queryValue("missing") == nil)
        #expect(request.queryValue("Purpose") == nil)
    }

    @Test func queryFirstValueWinsAndUTF8IsDecoded() throws {
        let request = try #require(parse("GET /?a=1&a=2&name=%C3%A9t%C3%A9 HTTP/1.1\r\nHost: x\r\n\r\n").requests.first)
        #expect(request.queryValue("a") == "1")
        #expect(request.queryValue("name") == "été")
    }

    @Test func pathDecoding() throws {
        let request = try #require(parse("GET /files/a%20b%2Fc+d/%C3%A9?x HTTP/1.1\r\nHost: x\r\n\r\n").requests.first)
        #expect(request.path == "/files/a b/c+d/é")  // "+" is literal in a path
        #expect(request.target == "/files/a%20b%2Fc+d/%C3%A9?x")
        let noQuery = try #require(parse("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n").requests.first)
        #expect(noQuery.head.query.isEmpty)
    }

    @Test func headersAPI() {
        var headers: HTTPHeaders = ["Content-Type": "text/plain"]
        headers.add("Set-Cookie", "a=1")
        headers.add("set-cookie", "b=2")
        #expect(headers["content-type"] == "text/plain")
        #expect(headers.values("SET-COOKIE") == ["a=1", "b=2"])
        #expect(headers.contains("Set-cookie"))
        #expect(!headers.contains("Set-Cookie2"))
        headers.set("SET-COOKIE", "c=3")
        #expect(headers.values("set-cookie") == ["c=3"])
        #expect(headers.map(\.name) == ["Content-Type", "SET-COOKIE"])
        headers.remove("content-type")
        #expect(headers["Content-Type"] == nil)
        #expect(headers.count == 1)
        let pairs = HTTPHeaders([("A", "1"), ("b", "2")])
        #expect(pairs.map(\.value) == ["1", "2"])
    }

    @Test func statusDescription() {
        #expect(HTTPStatus.notFound.description == "404 Not Found")
        #expect(HTTPStatus.unprocessableContent.code == 422)
        #expect(HTTPStatus.requestHeaderFieldsTooLarge.code == 431)
        #expect(HTTPStatus(code: 418, reason: "I'm a teapot") != HTTPStatus(code: 418, reason: "Teapot"))
    }
}
