// libFuzzer target for RequestParser. Built by fuzz/run together with Sources/HTTP/Codec/*.swift as one
// module named HTTP, so it sees internals. Not part of the SwiftPM package.
//
// Input: the first byte picks where the rest is split into two appends; the rest is the byte stream.
// Invariants checked (a violation traps, which libFuzzer reports as a crash):
// - no crash or sanitizer report while parsing;
// - every error has one of the documented statuses;
// - feeding the stream whole or in two pieces yields the same requests and the same error;
// - with every body streamed (`.head`, `.bodyPart`s, `.bodyEnd`, as for uploads), the heads and
//   joined parts are the same requests, with the same 100-continues and the same error;
// - parsed requests are well-formed (version, Host, body within the limit, no NUL in the path);
// - multipart bodies found in requests parse or fail with 400; responses encode.

let maxHeaderBytes = 1024
let bodyLimit = 2048
let documentedStatuses: Set<Int> = [400, 413, 414, 431, 501, 505]

/// Traps with the message (kept in -O builds, unlike `precondition`'s), which libFuzzer reports as a crash.
func invariant(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(message())") }
}

struct Outcome {
    var requests: [HTTPRequest] = []
    var continues = 0
    var error: HTTPParseError? = nil
}

func run(_ stream: [UInt8], splitAt split: Int, streams: Bool = false) -> Outcome {
    var parser = RequestParser(maxHeaderBytes: maxHeaderBytes, bodyLimit: { head in
        head.path == "/small" ? 16 : bodyLimit
    }, streamsBody: { _ in streams })
    var outcome = Outcome()
    var streamed: HTTPRequest?
    let pieces = split > 0 && split < stream.count ? [stream[..<split], stream[split...]] : [stream[...]]
    for piece in pieces {
        parser.append(Array(piece))
        do {
            while let event = try parser.next() {
                switch event {
                case .expectContinue: outcome.continues += 1
                case .request(let request): outcome.requests.append(request)
                case .head(let head):
                    invariant(streams && streamed == nil, "a head while not streaming, or inside a streamed body")
                    streamed = HTTPRequest(head: head)
                case .bodyPart(let bytes):
                    invariant(streamed != nil && !bytes.isEmpty, "a body part outside a streamed body, or empty")
                    streamed?.body += bytes
                case .bodyEnd:
                    invariant(streamed != nil, "a body end outside a streamed body")
                    outcome.requests.append(streamed!)
                    streamed = nil
                }
            }
        } catch {
            outcome.error = error
            // The failure is sticky.
            do {
                _ = try parser.next()
                invariant(false, "parser recovered after \(error)")
            } catch let again {
                invariant(again.status == error.status, "sticky error changed")
            }
            break
        }
    }
    return outcome
}

func same(_ a: HTTPRequest, _ b: HTTPRequest) -> Bool {
    a.method == b.method && a.target == b.target && a.path == b.path && a.head.versionMinor == b.head.versionMinor
        && a.body == b.body && a.head.query.map(\.0) == b.head.query.map(\.0)
        && a.head.query.map(\.1) == b.head.query.map(\.1)
        && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
}

func check(_ request: HTTPRequest) {
    invariant(request.head.versionMinor == 0 || request.head.versionMinor == 1, "version")
    invariant(request.head.versionMinor == 0 || request.headers.contains("Host"), "HTTP/1.1 without Host")
    invariant(request.body.count <= (request.path == "/small" ? 16 : bodyLimit), "body over the limit")
    invariant(!request.path.isEmpty && !request.path.utf8.contains(0), "path")
    invariant(!request.method.isEmpty && request.method.utf8.allSatisfy(ASCII.isTokenChar), "method")
    for (name, value) in request.headers {
        invariant(!name.isEmpty && name.utf8.allSatisfy(ASCII.isTokenChar), "field name")
        invariant(!value.utf8.contains(ASCII.cr) && !value.utf8.contains(ASCII.lf), "field value")
    }
    if let contentType = request.headers["Content-Type"], let boundary = Multipart.boundary(contentType: contentType) {
        do {
            for part in try Multipart.parse(request.body, boundary: boundary) {
                invariant(part.body.count <= request.body.count, "part larger than the body")
            }
        } catch {
            invariant(error.status.code == 400, "multipart error \(error.status)")
        }
    }
    let encoded = HTTPResponse(status: .ok, headers: request.headers, body: request.body)
        .encoded(keepAlive: request.keepAlive, versionMinor: request.head.versionMinor, headOnly: request.method == "HEAD")
    invariant(encoded.starts(with: Array("HTTP/1.1 200 OK\r\n".utf8)), "encoding")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let stream = Array(input[1...])
    let split = Int(input[0]) * stream.count / 255

    let whole = run(stream, splitAt: 0)
    let halves = run(stream, splitAt: split)
    let streamed = run(stream, splitAt: split, streams: true)
    invariant(halves.error?.status == streamed.error?.status, "streamed: \(String(describing: streamed.error)), buffered: \(String(describing: halves.error))")
    invariant(halves.requests.count == streamed.requests.count && halves.continues == streamed.continues,
              "streamed: \(streamed.requests.count) requests and \(streamed.continues) continues, buffered \(halves.requests.count) and \(halves.continues)")
    for (a, b) in zip(halves.requests, streamed.requests) { invariant(same(a, b), "a streamed request differs") }

    if let error = whole.error {
        invariant(documentedStatuses.contains(error.status.code), "undocumented status \(error.status)")
    }
    invariant(whole.error?.status == halves.error?.status,
        "whole: \(String(describing: whole.error)), split at \(split): \(String(describing: halves.error))")
    invariant(whole.requests.count == halves.requests.count, "request count differs with split \(split)")
    for (a, b) in zip(whole.requests, halves.requests) {
        invariant(same(a, b), "request differs with split \(split)")
        check(a)
    }
    invariant(whole.continues == 0 || whole.error != nil || whole.continues == 1, "more than one 100-continue")
    return 0
}
