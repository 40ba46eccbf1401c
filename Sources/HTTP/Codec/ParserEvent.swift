/// What `RequestParser.next()` found in the buffered bytes.
public enum ParserEvent: Sendable {
    /// The client sent `Expect: 100-continue` and its body is not buffered yet:
    /// answer `100 Continue` (or a final status) before waiting for the body. Emitted at most once per request.
    case expectContinue
    /// A complete request.
    case request(HTTPRequest)
}
