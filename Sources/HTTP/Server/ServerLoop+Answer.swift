import Platform

/// What a handler thread (or an inline route) produced: the encoded head (and body), and the
/// body stream when the response streams.
struct Answer: Sendable {
    var head: [UInt8]
    var stream: HTTPBodyStream?
}

extension ServerLoop {
    /// Runs the handler (through the middleware), encodes the response, records metrics and the access log.
    static func answer(_ request: HTTPRequest, _ context: RequestContext, _ routing: Result<Router.Match, HTTPError>,
                       server: Server, keepAlive: Bool, started: Double, date: String) -> Answer {
        var response: HTTPResponse
        let match = try? routing.get()
        do {
            response = try server.router.respond(request, context, routing.get())
        } catch let error as HTTPResponseError {
            response = error.response(requestID: context.requestID)
        } catch {
            Log.error("unhandled error", [("request_id", .string(context.requestID)), ("error", .string(String(reflecting: error)))])
            response = HTTPError(.internalServerError, "Internal error; request id \(context.requestID)", code: "internal_error")
                .response(requestID: context.requestID)
        }
        response.headers.set("X-Request-Id", context.requestID)
        response.headers.set("Date", date)
        let headOnly = request.head.method == "HEAD"
        if headOnly { response.stream = nil }
        let bytes = response.encoded(keepAlive: keepAlive, versionMinor: request.head.versionMinor, headOnly: headOnly)
        let seconds = MonotonicClock.now - started
        server.metrics.record(route: context.route, method: RequestMetrics.methodLabel(request.head.method),
                              status: response.status.code, seconds: seconds)
        let level: Log.Level = (match?.options.logAtDebug ?? false) ? .debug : .info
        if Log.enabled(level) {
            Log.write(level, "request", [
                ("method", .string(request.head.method)), ("path", .string(request.head.path)),
                ("route", .string(context.route)), ("status", .int(response.status.code)),
                ("duration_ms", .double((seconds * 1e6).rounded() / 1e3)), ("bytes_in", .int(request.body.count)),
                ("bytes_out", .int(bytes.count)), ("streamed", .bool(response.stream != nil)),
                ("peer", .string(context.peer)), ("request_id", .string(context.requestID)),
            ])
        }
        return Answer(head: bytes, stream: response.stream)
    }
}

extension ServerLoop {
    /// A streamed body turned out malformed (or too large) midway: its handler's next read throws
    /// the parser's error, the handler answers it, and the connection closes after that answer.
    func failUpload(_ connection: ServerConnection, _ body: RequestBody, _ error: HTTPParseError) {
        body.fail(HTTPError(error.status, error.reason))
        connection.upload = nil
        connection.closeAfterWrite = true
        connection.lingerOnClose = true
    }
}
