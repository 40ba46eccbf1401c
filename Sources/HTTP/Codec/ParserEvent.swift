/// What `RequestParser.next()` found in the buffered bytes.
public enum ParserEvent: Sendable {
    /// The client sent `Expect: 100-continue` and its body is not buffered yet:
    /// answer `100 Continue` (or a final status) before waiting for the body. Emitted at most once per request.
    case expectContinue
    /// A complete request.
    case request(HTTPRequest)
    /// The head of a request whose body comes after it piece by piece (`streamsBody` said so):
    /// `.bodyPart`s follow, then `.bodyEnd`.
    case head(HTTPRequestHead)
    /// The next bytes of a streamed body (de-chunked; never empty).
    case bodyPart([UInt8])
    /// The streamed body is complete; the next event belongs to the next request.
    case bodyEnd
}
