import HTTP
import Testing

@Suite struct ExpectContinueTests {
    let head = "POST /v1/files HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"

    @Test func emittedOnceBeforeTheBody() throws {
        var parser = RequestParser(bodyLimit: { _ in 100 })
        parser.append(bytes(head))
        guard case .expectContinue = try parser.next() else {
            Issue.record("expected .expectContinue")
            return
        }
        #expect(try parser.next() == nil)  // not twice
        parser.append(bytes("ab"))
        #expect(try parser.next() == nil)
        parser.append(bytes("cde"))
        guard case .request(let request) = try parser.next() else {
            Issue.record("expected the request")
            return
        }
        #expect(request.body == bytes("abcde"))
    }

    @Test func notEmittedWhenTheBodyIsAlreadyBuffered() {
        let outcome = parse(head + "abcde")
        #expect(outcome.continues == 0)
        #expect(outcome.requests.count == 1)
    }

    @Test func chunked() {
        let chunkedHead = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n"
        let waiting = parse(chunkedHead)
        #expect(waiting.continues == 1 && waiting.requests.isEmpty)
        let complete = parse(chunkedHead + "3\r\nabc\r\n0\r\n\r\n")
        #expect(complete.continues == 0 && complete.requests.count == 1)
        let split = parse(chunkedHead + "3\r\nabc\r\n0\r\n\r\n", pieceSize: 4)
        #expect(split.continues == 1)
        #expect(split.requests.first?.body == bytes("abc"))
    }

    @Test func notEmittedWithoutABodyOrForHTTP10() {
        #expect(parse("GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n").continues == 0)
        #expect(parse("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n").continues == 0)
        #expect(parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n").continues == 0)
    }

    @Test func tooLargeWinsOverContinue() {
        let outcome = parse(head, bodyLimit: 4)
        #expect(outcome.continues == 0)
        #expect(outcome.status == 413)
    }

    @Test func eachPipelinedRequestGetsItsOwn() {
        let outcome = parse(head + "abcde" + head, pieceSize: head.utf8.count)
        #expect(outcome.continues == 2)
        #expect(outcome.requests.count == 1)
    }
}
