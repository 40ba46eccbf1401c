import HTTP
import Testing

@Suite struct HTTPResponseTests {
    func text(_ response: HTTPResponse, keepAlive: Bool = true, versionMinor: Int = 1, headOnly: Bool = false) -> String {
        String(decoding: response.encoded(keepAlive: keepAlive, versionMinor: versionMinor, headOnly: headOnly), as: UTF8.self)
    }

    @Test func keepAliveResponse() {
        let response = HTTPResponse(status: .ok, contentType: "application/json", body: "{\"ok\":true}")
        #expect(text(response) == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}")
    }

    @Test func closingResponse() {
        let response = HTTPResponse(status: .notFound, headers: ["X-Request-Id": "r1"], body: bytes("no"))
        #expect(text(response, keepAlive: false) == "HTTP/1.1 404 Not Found\r\nX-Request-Id: r1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno")
    }

    @Test func http10KeepAlive() {
        #expect(text(HTTPResponse(), versionMinor: 0) == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
        #expect(text(HTTPResponse(), keepAlive: false, versionMinor: 0) == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    }

    @Test func headOmitsTheBodyButKeepsItsLength() {
        let response = HTTPResponse(contentType: "text/plain", body: "hello")
        #expect(text(response, headOnly: true) == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n")
    }

    @Test(arguments: [HTTPStatus.continue, .noContent, HTTPStatus(code: 304, reason: "Not Modified")])
    func noContentLengthFor(status: HTTPStatus) {
        let encoded = text(HTTPResponse(status: status, body: bytes("ignored")))
        #expect(encoded == "HTTP/1.1 \(status.code) \(status.reason)\r\n\r\n")
    }

    @Test func encoderOwnsFramingHeaders() {
        let response = HTTPResponse(
            headers: ["Content-Length": "999", "connection": "keep-alive", "Transfer-Encoding": "chunked", "X-A": "1"],
            body: bytes("abc"))
        #expect(text(response, keepAlive: false) == "HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
    }

    @Test func headerInjectionIsNeutralized() {
        let response = HTTPResponse(headers: ["Location": "/a\r\nSet-Cookie: evil=1"])
        #expect(text(response) == "HTTP/1.1 200 OK\r\nLocation: /a  Set-Cookie: evil=1\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func encodedResponseParsesBackAsHTTP() throws {
        // The encoder's output framed as a request body round-trips through Content-Length.
        let body = bytes(String(repeating: "x", count: 12345))
        let encoded = HTTPResponse(status: .created, body: body).encoded(keepAlive: true)
        let lengthLine = bytes("Content-Length: 12345\r\n\r\n")
        #expect(Array(encoded[(encoded.count - body.count - lengthLine.count)..<(encoded.count - body.count)]) == lengthLine)
        #expect(Array(encoded.suffix(body.count)) == body)
    }
}
