import Platform
import Synchronization

/// Results that handler threads hand back to a connection's loop, applied in order.
struct Completion: Sendable {
    enum Kind: Sendable {
        case response([UInt8], keepAlive: Bool)
        case streamStart([UInt8], StreamChannel, keepAlive: Bool)
        case streamData([UInt8])
        case streamEnd(complete: Bool)
        /// The handler took enough of a streamed request body: read on.
        case bodyRoom
    }
    var connectionID: UInt64
    var kind: Kind
}

extension ServerLoop {
    /// Queues a completion for this loop and wakes it. Called from handler threads.
    func post(_ completion: Completion) {
        completions.withLock { $0.append(completion) }
        loop.wake()
    }

    func applyCompletions() {
        let ready = completions.withLock { pending -> [Completion] in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        for completion in ready {
            guard let connection = byID[completion.connectionID] else {
                // The client is gone: a stream's producer must not wait for it.
                if case .streamStart(_, let channel, _) = completion.kind { channel.close() }
                continue
            }
            switch completion.kind {
            case .response(let bytes, let keepAlive):
                connection.busy = false
                connection.queue(bytes)
                if !keepAlive { connection.closeAfterWrite = true }
                if let body = connection.upload {
                    // Answered before its whole body arrived: skip no more of it, close after the answer.
                    body.fail(HTTPError(.badRequest, "The request was answered before its body ended"))
                    connection.upload = nil
                    connection.closeAfterWrite = true
                    connection.lingerOnClose = true
                }
            case .bodyRoom:
                process(connection, MonotonicClock.now)
            case .streamStart(let bytes, let channel, let keepAlive):
                connection.queue(bytes)
                connection.stream = channel
                if !keepAlive { connection.closeAfterWrite = true }
            case .streamData(let bytes):
                connection.queue(bytes)
            case .streamEnd(let complete):
                if let channel = connection.stream, channel.chunked, complete { connection.queue(StreamChannel.lastChunk) }
                // A stream that failed midway is cut off: the client sees a truncated body, not a false end.
                if !complete { connection.closeAfterWrite = true }
                connection.stream = nil
                connection.busy = false
            }
            if connection.busy {
                write(connection)
            } else {
                // Timers for a pipelined request start now, not while it waited behind a handler.
                let now = MonotonicClock.now
                connection.lastActivity = now
                connection.requestStarted = connection.parser.hasBufferedBytes ? now : nil
                process(connection, now)
            }
            closeIfPeerGone(connection)
        }
    }
}
