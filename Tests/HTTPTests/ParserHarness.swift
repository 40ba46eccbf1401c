import HTTP

/// The bytes of a string.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// What a parser produced from some input: events in order, then the error that stopped it, if any.
struct ParseOutcome {
    var events: [ParserEvent] = []
    var error: HTTPParseError? = nil

    var requests: [HTTPRequest] {
        events.compactMap { if case .request(let request) = $0 { request } else { nil } }
    }
    var continues: Int {
        events.count { if case .expectContinue = $0 { true } else { false } }
    }
    var status: Int? { error?.status.code }
}

/// Feeds `input` to a fresh parser in pieces of `pieceSize` bytes (all at once when nil),
/// draining events after every piece, and stops at the first error.
func parse(
    _ input: [UInt8], pieceSize: Int? = nil, maxHeaderBytes: Int = 16 * 1024, bodyLimit: Int = 1 << 20, streams: Bool = false
) -> ParseOutcome {
    var parser = RequestParser(maxHeaderBytes: maxHeaderBytes, bodyLimit: { _ in bodyLimit }, streamsBody: { _ in streams })
    var outcome = ParseOutcome()
    let size = max(pieceSize ?? input.count, 1)
    var offset = 0
    repeat {
        let end = min(offset + size, input.count)
        parser.append(Array(input[offset..<end]))
        offset = end
        do {
            while let event = try parser.next() { outcome.events.append(event) }
        } catch {
            outcome.error = error
            return outcome
        }
    } while offset < input.count
    return outcome
}

func parse(_ text: String, pieceSize: Int? = nil, maxHeaderBytes: Int = 16 * 1024, bodyLimit: Int = 1 << 20, streams: Bool = false) -> ParseOutcome {
    parse(bytes(text), pieceSize: pieceSize, maxHeaderBytes: maxHeaderBytes, bodyLimit: bodyLimit, streams: streams)
}
