import Platform

/// Carries a streamed body from a handler thread to its connection's loop, with back-pressure:
/// `send` waits while more than `limit` bytes are waiting for the socket, and throws once the
/// connection is closed.
final class StreamChannel: Sendable {
    static let limit = 256 * 1024
    static let lastChunk = Array("0\r\n\r\n".utf8)

    struct State {
        var pending = 0
        var closed = false
    }

    let chunked: Bool
    private let state = ConditionLock(State())
    private let post: @Sendable (Completion.Kind) -> Void

    init(chunked: Bool, post: @escaping @Sendable (Completion.Kind) -> Void) {
        self.chunked = chunked
        self.post = post
    }

    /// Sends one piece (chunk-framed for HTTP/1.1). Blocks while the client is behind.
    func send(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        let closed = state.withLock(when: { $0.pending < StreamChannel.limit || $0.closed }) { state, _ -> Bool in
            if !state.closed { state.pending += bytes.count }
            return state.closed
        }
        if closed { throw Errno.connectionReset }
        guard chunked else { return post(.streamData(bytes)) }
        post(.streamData(Array((String(bytes.count, radix: 16) + "\r\n").utf8) + bytes + [13, 10]))
    }

    func finish(complete: Bool) { post(.streamEnd(complete: complete)) }

    /// The loop reports how many bytes still wait for the socket.
    func update(pending: Int) {
        state.withLock { $0.pending = pending }
        state.broadcast()
    }

    /// The connection is gone: senders stop.
    func close() {
        state.withLock { $0.closed = true }
        state.broadcast()
    }
}
