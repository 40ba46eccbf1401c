import Platform
import Synchronization

extension ServerLoop {
    // MARK: - Requests: parsing what arrived, dispatching to handlers, refusing past a limit

    /// Parses and answers buffered requests one at a time, so pipelined responses keep their order.
    /// While a handler reads a streamed body, only that body's parts are parsed, as it takes them.
    func process(_ connection: ServerConnection, _ now: Double) {
        while !connection.closeAfterWrite {
            if connection.busy {
                guard let body = connection.upload, !body.isFull else { break }
            }
            let event: ParserEvent?
            do {
                event = try connection.parser.next()
            } catch {
                if let body = connection.upload {
                    failUpload(connection, body, error)
                } else {
                    respondAndClose(connection, error, now)
                }
                break
            }
            guard let event else { break }
            switch event {
            case .expectContinue:
                connection.queue(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            case .request(let request):
                dispatch(request, on: connection, now)
            case .head(let head):
                dispatch(HTTPRequest(head: head), streamingBody: true, on: connection, now)
            case .bodyPart(let bytes):
                connection.upload?.push(bytes)  // no upload: the route answered without its body
            case .bodyEnd:
                connection.upload?.end()
                connection.upload = nil
            }
        }
        if !connection.parser.isMidRequest && !connection.busy { connection.requestStarted = nil }
        write(connection)
    }

    func respondAndClose(_ connection: ServerConnection, _ error: some HTTPResponseError, _ now: Double) {
        let requestID = nextRequestID()
        var response = error.response(requestID: requestID)
        response.headers.set("X-Request-Id", requestID)
        let started = connection.requestStarted ?? now
        server.metrics.record(route: "unmatched", method: "-", status: response.status.code, seconds: now - started)
        Log.write(.info, "request", [("status", .int(response.status.code)), ("reason", .string("\(error)")),
                                    ("peer", .string(connection.peer)), ("request_id", .string(requestID))])
        connection.queue(response.encoded(keepAlive: false))
        connection.closeAfterWrite = true
        connection.lingerOnClose = true
    }

    func dispatch(_ request: HTTPRequest, streamingBody: Bool = false, on connection: ServerConnection, _ now: Double) {
        let started = connection.requestStarted ?? now
        connection.requestStarted = connection.parser.hasBufferedBytes ? now : nil
        let requestID = validRequestID(request.head.headers["X-Request-Id"]) ?? nextRequestID()
        let stopping = stopState.load(ordering: .relaxed) > 0
        let keepAlive = request.head.keepAlive && !stopping && !connection.peerClosed
        var context = RequestContext(requestID: requestID, peer: connection.peer)
        // Advisory: the loop does not read this socket while the handler runs, so the handler
        // polls it. A half-closed client is still answered: only `clientGone` counts it as gone.
        let descriptor = connection.socket.fileDescriptor
        context.clientGone = { Poll.peerClosed(descriptor) }
        context.clientUnreachable = { Poll.peerUnreachable(descriptor) }
        let routing = Result { () throws(HTTPError) in
            try server.router.match(method: request.head.method, path: request.head.path)
        }
        if case .success(let found) = routing {
            context.route = found.pattern
            context.parameters = found.parameters
            context.authenticated = found.options.authenticated
        }
        let id = connection.id
        // A streamed body goes to the handler as it arrives; answered without a handler, it is skipped.
        let body = streamingBody ? RequestBody(timeout: server.configuration.readTimeout) { [self] in
            post(Completion(connectionID: id, kind: .bodyRoom))
        } : nil
        context.body = body
        let work: @Sendable () -> Answer = { [server, dateHeader, context] in
            ServerLoop.answer(request, context, routing, server: server, keepAlive: keepAlive, started: started, date: dateHeader)
        }
        // Routing errors and inline routes are answered here; everything else on a handler thread.
        if (try? routing.get())?.options.inline ?? true {
            let answer = work()
            precondition(answer.stream == nil, "inline routes cannot stream")
            connection.queue(answer.head)
            if !keepAlive { connection.closeAfterWrite = true }
            return
        }
        // A bounded route whose queue is full answers 429 here, before waiting for a handler thread.
        let limit = (try? routing.get())?.options.limit
        var place: String?
        if let limit {
            let entry = limit.enter(request)
            guard entry.admitted else {
                reject(request, context, limit: limit, key: entry.key, on: connection, keepAlive: keepAlive, started: started)
                return
            }
            place = entry.key
        }
        connection.busy = true
        connection.upload = body
        let chunked = request.head.versionMinor >= 1
        server.pool.submit { [self, place] in
            let answer = work()
            guard let stream = answer.stream else {
                if let place { limit?.leave(place) }
                post(Completion(connectionID: id, kind: .response(answer.head, keepAlive: keepAlive)))
                return
            }
            let channel = StreamChannel(chunked: chunked) { [self] kind in post(Completion(connectionID: id, kind: kind)) }
            post(Completion(connectionID: id, kind: .streamStart(answer.head, channel, keepAlive: keepAlive && chunked)))
            let send: @Sendable () -> Void = {
                var complete = true
                do {
                    try stream.produce { bytes in try channel.send(bytes) }
                } catch {
                    complete = false
                    Log.warn("response stream stopped", [("request_id", .string(requestID)), ("error", .string("\(error)"))])
                }
                channel.finish(complete: complete)
                if let place { limit?.leave(place) }
            }
            if stream.longLived { Thread.spawn(name: "http-stream", send) } else { send() }
        }
    }

    /// The 429 of a bounded route at its limit, answered on the loop thread.
    func reject(_ request: HTTPRequest, _ context: RequestContext, limit: ConcurrencyLimit, key: String, on connection: ServerConnection,
                        keepAlive: Bool, started: Double) {
        var response = limit.rejection(requestID: context.requestID, key: key)
        response.headers.set("X-Request-Id", context.requestID)
        response.headers.set("Date", dateHeader)
        server.metrics.record(route: context.route, method: RequestMetrics.methodLabel(request.head.method),
                              status: response.status.code, seconds: MonotonicClock.now - started)
        Log.write(.info, "request", [("method", .string(request.head.method)), ("route", .string(context.route)),
                                    ("status", .int(429)), ("peer", .string(context.peer)), ("request_id", .string(context.requestID))])
        connection.queue(response.encoded(keepAlive: keepAlive, versionMinor: request.head.versionMinor))
        if !keepAlive { connection.closeAfterWrite = true }
    }
}
