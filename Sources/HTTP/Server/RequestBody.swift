import Platform

/// The body of a request on a route that streams its body (`RouteOptions.streamsBody`), handed
/// from the connection's loop to the handler thread as it arrives. The loop stops reading the
/// socket while `limit` bytes wait for the handler, so memory stays bounded whatever the size.
///
/// The handler calls `next()` until it returns nil (the end). A client that stops sending for
/// `timeout` seconds, hangs up, or sends a malformed body makes `next()` throw an `HTTPError`.
public final class RequestBody: Sendable {
    /// Bytes waiting for the handler before the loop stops reading the socket.
    public static let limit = 4 << 20

    struct State {
        var parts: [[UInt8]] = []
        var first = 0
        var pending = 0
        var ended = false
        var failure: HTTPError?
        /// The loop found the body full and waits for `wake` before reading on.
        var paused = false
    }

    private let state = ConditionLock(State())
    private let wake: @Sendable () -> Void
    let timeout: Double

    init(timeout: Double, wake: @escaping @Sendable () -> Void) {
        self.timeout = timeout
        self.wake = wake
    }

    // MARK: - The handler's side

    /// The next bytes of the body, or nil once it is complete.
    public func next() throws(HTTPError) -> [UInt8]? {
        let (result, resume) = state.withLock(when: { $0.first < $0.parts.count || $0.ended || $0.failure != nil },
                                              timeout: timeout) { state, ready -> (Result<[UInt8]?, HTTPError>, Bool) in
            if let failure = state.failure { return (.failure(failure), false) }
            guard ready else {
                state.failure = HTTPError(.requestTimeout, "The request body stopped arriving", code: "body_timeout")
                return (.failure(state.failure!), false)
            }
            guard state.first < state.parts.count else { return (.success(nil), false) }
            let part = state.parts[state.first]
            state.parts[state.first] = []  // released now: the loop may push on for as long as the body lasts
            state.first += 1
            state.pending -= part.count
            if state.first == state.parts.count || state.first >= 1024 {
                state.parts.removeFirst(state.first)
                state.first = 0
            }
            let resume = state.paused && state.pending <= RequestBody.limit / 2
            if resume { state.paused = false }
            return (.success(part), resume)
        }
        if resume { wake() }
        return try result.get()
    }

    /// Reads the whole body (for handlers that accept both ways, on small bodies only).
    public func collect(limit: Int) throws(HTTPError) -> [UInt8] {
        var bytes: [UInt8] = []
        while let part = try next() {
            guard bytes.count + part.count <= limit else {
                throw HTTPError(.payloadTooLarge, "The request body exceeds \(limit) bytes", code: "body_too_large")
            }
            bytes += part
        }
        return bytes
    }

    // MARK: - The loop's side

    func push(_ bytes: [UInt8]) {
        state.withLock { state in
            guard state.failure == nil else { return }
            state.parts.append(bytes)
            state.pending += bytes.count
        }
        state.broadcast()
    }

    /// Whether the loop should stop handing over bytes; when it is, the handler wakes the loop
    /// once it has taken half of them.
    var isFull: Bool {
        state.withLock { state in
            let full = state.pending >= RequestBody.limit && state.failure == nil
            if full { state.paused = true }
            return full
        }
    }

    func end() {
        state.withLock { $0.ended = true }
        state.broadcast()
    }

    func fail(_ error: HTTPError) {
        state.withLock { state in
            guard !state.ended && state.failure == nil else { return }  // a complete body stays readable
            state.failure = error
            state.parts = []
            state.first = 0
            state.pending = 0
        }
        state.broadcast()
    }
}
