import HTTP
import Testing

/// A route that streams its body gets `.head`, `.bodyPart`s and `.bodyEnd` from the parser instead
/// of one `.request`; the parts join to the same body in any piece size.
@Suite struct StreamedBodyParserTests {
    /// (heads, joined bodies, ends) of an outcome.
    static func streamed(_ outcome: ParseOutcome) -> (heads: [String], bodies: [[UInt8]], ends: Int) {
        var heads: [String] = [], bodies: [[UInt8]] = [], ends = 0
        for event in outcome.events {
            switch event {
            case .head(let head): heads.append(head.path); bodies.append([])
            case .bodyPart(let part):
                #expect(!part.isEmpty, "a part is never empty")
                bodies[bodies.count - 1] += part
            case .bodyEnd: ends += 1
            default: break
            }
        }
        return (heads, bodies, ends)
    }

    static let body = (0..<5000).map { UInt8($0 % 251) }

    @Test(arguments: [1, 7, 100, 4096, nil])
    func contentLength(pieceSize: Int?) {
        let input = bytes("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: \(Self.body.count)\r\n\r\n") + Self.body
            + bytes("GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        let outcome = parse(input, pieceSize: pieceSize, streams: true)
        #expect(outcome.error == nil)
        let (heads, bodies, ends) = Self.streamed(outcome)
        #expect(heads == ["/up"] && bodies == [Self.body] && ends == 1)
        #expect(outcome.requests.map(\.path) == ["/next"], "a pipelined request after a streamed body parses as usual")
    }

    @Test(arguments: [1, 5, 333, nil])
    func chunked(pieceSize: Int?) {
        var input = bytes("POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        var offset = 0
        for size in [1, 999, 3000, 1000] {
            input += bytes(String(size, radix: 16) + "\r\n") + Self.body[offset..<offset + size] + bytes("\r\n")
            offset += size
        }
        input += bytes("0\r\nX-Trailer: yes\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        let outcome = parse(input, pieceSize: pieceSize, streams: true)
        #expect(outcome.error == nil)
        let (heads, bodies, ends) = Self.streamed(outcome)
        #expect(heads == ["/up"] && bodies == [Self.body] && ends == 1)
        #expect(outcome.requests.map(\.path) == ["/next"])
    }

    @Test func emptyBodyAndExpectContinue() {
        let outcome = parse("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", streams: true)
        // No body at all: a plain request (the handler reads an empty body).
        #expect(outcome.requests.map(\.path) == ["/a"] && Self.streamed(outcome).heads.isEmpty)
        let waiting = parse("POST /a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", streams: true)
        #expect(waiting.continues == 1 && Self.streamed(waiting).heads == ["/a"] && Self.streamed(waiting).ends == 0)
    }

    @Test func limits() {
        // Content-Length over the limit: 413 before the head is handed over.
        let declared = parse("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", bodyLimit: 10, streams: true)
        #expect(declared.status == 413 && Self.streamed(declared).heads.isEmpty)
        // A chunked body passes the limit midway: the parts before it went out, then 413.
        let chunked = parse("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n",
                            pieceSize: 1, bodyLimit: 10, streams: true)
        #expect(chunked.status == 413)
        #expect(Self.streamed(chunked).bodies == [bytes("abcdef")] && Self.streamed(chunked).ends == 0)
    }
}
