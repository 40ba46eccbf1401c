import Platform
import Synchronization

/// One event-loop thread: accepts, reads, parses, runs inline handlers, hands the rest to the
/// handler pool, writes responses in request order, and enforces the timeouts.
final class ServerLoop: @unchecked Sendable {
    unowned let server: Server
    let loop: EventLoop
    private let listener: Socket
    let idPrefix: String
    var nextRequestNumber: UInt64 = 0
    private var nextConnectionID: UInt64 = 0
    var byDescriptor: [Int32: ServerConnection] = [:]
    var byID: [UInt64: ServerConnection] = [:]
    let completions = Mutex<[Completion]>([])
    let stopState = Atomic<Int>(0)  // 0 running, 1 draining, 2 cut now
    private var listening = true
    private var readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    var lastSweep = 0.0
    private var acceptPausedUntil: Double?
    var dateHeader = WallClock.httpDate()

    init(server: Server, listener: Socket, idPrefix: String) throws(Errno) {
        self.server = server
        self.listener = listener
        self.idPrefix = idPrefix
        self.loop = try EventLoop()
        try loop.register(listener.fileDescriptor, .accept)
    }

    deinit { readBuffer.deallocate() }

    func requestStop(force: Bool) {
        stopState.store(force ? 2 : 1, ordering: .sequentiallyConsistent)
        loop.wake()
    }

    func run() {
        while true {
            let events = loop.wait(timeout: 0.25)
            let now = MonotonicClock.now
            applyCompletions()
            for event in events {
                if event.fileDescriptor == listener.fileDescriptor {
                    if listening { acceptAll(now) }
                    continue
                }
                guard let connection = byDescriptor[event.fileDescriptor] else { continue }
                if event.readable || event.hangup { read(connection, now) }
                if event.writable, byDescriptor[event.fileDescriptor] === connection {
                    if connection.tls?.wantsWrite == true { read(connection, now) }  // a TLS handshake waiting to send
                    if byDescriptor[event.fileDescriptor] === connection { write(connection) }
                }
            }
            if now - lastSweep >= 0.25 { sweep(now) }
            if !listening, let until = acceptPausedUntil, now >= until, stopState.load(ordering: .relaxed) == 0 {
                acceptPausedUntil = nil
                listening = (try? loop.register(listener.fileDescriptor, .accept)) != nil
            }
            let stop = stopState.load(ordering: .sequentiallyConsistent)
            if stop > 0 {
                if listening {
                    loop.deregister(listener.fileDescriptor)
                    listening = false
                }
                acceptPausedUntil = nil
                for connection in Array(byDescriptor.values) where stop == 2 || connection.isIdle {
                    close(connection)
                }
                if byDescriptor.isEmpty { return }
            }
        }
    }

    // MARK: - Accept, read, write

    private func acceptAll(_ now: Double) {
        while true {
            let accepted: (socket: Socket, peer: String)?
            do {
                accepted = try listener.accept()
            } catch {
                // Out of descriptors (EMFILE/ENFILE): stop accepting briefly instead of spinning.
                loop.deregister(listener.fileDescriptor)
                listening = false
                acceptPausedUntil = now + 0.1
                Log.warn("accept failed; pausing", [("error", .string("\(error)"))])
                return
            }
            guard let accepted else { return }
            if server.connectionCount.load(ordering: .relaxed) >= server.connectionLimit.load(ordering: .relaxed) {
                let refusal = HTTPError(.serviceUnavailable, "Too many connections", code: "too_many_connections")
                    .response(requestID: "").encoded(keepAlive: false)
                _ = refusal.withUnsafeBytes { try? accepted.socket.write($0) }
                accepted.socket.close()
                continue
            }
            server.connectionCount.add(1, ordering: .relaxed)
            nextConnectionID += 1
            let router = server.router
            let parser = RequestParser(maxHeaderBytes: server.configuration.maxHeaderBytes,
                                       bodyLimit: { head in router.bodyLimit(method: head.method, path: head.path) },
                                       streamsBody: { head in router.streamsBody(method: head.method, path: head.path) })
            var tls: TLSSession?
            if let context = server.configuration.tls {
                tls = context.session(accepted.socket)
                if tls == nil {
                    accepted.socket.close()
                    server.connectionCount.subtract(1, ordering: .relaxed)
                    continue
                }
            }
            let connection = ServerConnection(socket: accepted.socket, tls: tls, id: nextConnectionID, peer: accepted.peer,
                                              parser: parser, now: now)
            do {
                try loop.register(accepted.socket.fileDescriptor, .read)
            } catch {
                accepted.socket.close()
                server.connectionCount.subtract(1, ordering: .relaxed)
                continue
            }
            byDescriptor[accepted.socket.fileDescriptor] = connection
            byID[connection.id] = connection
        }
    }

    /// Reads what the socket has (at most 16 buffers, so one fast client cannot hold the loop),
    /// then parses and answers. Reading pauses while a request is with a handler (see `interest`).
    private func read(_ connection: ServerConnection, _ now: Double) {
        var received = false
        reading: for _ in 0..<16 {
            let result: Socket.ReadResult
            do { result = try connection.receive(into: readBuffer) } catch { close(connection); return }
            switch result {
            case .bytes(let n):
                if connection.lingerUntil == nil {
                    connection.parser.append(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
                }
                received = true
                // A short read emptied the socket; TLS hands over one record at a time, so read on.
                if n < readBuffer.count && connection.tls == nil { break reading }
            case .wouldBlock:
                break reading
            case .closed:
                connection.peerClosed = true
                break reading
            }
        }
        if connection.lingerUntil != nil {
            if connection.peerClosed { close(connection) }  // the client has seen our answer and hung up
            return
        }
        if received {
            connection.lastActivity = now
            if connection.requestStarted == nil { connection.requestStarted = now }
        }
        process(connection, now)
        closeIfPeerGone(connection)
    }

    /// After the client hung up, nothing more can arrive: close as soon as nothing is owed to it.
    func closeIfPeerGone(_ connection: ServerConnection) {
        guard connection.peerClosed, byID[connection.id] != nil else { return }
        if let body = connection.upload {
            // Whatever was buffered has been handed over; the rest of the body will never come.
            body.fail(HTTPError(.badRequest, "The client closed the connection before the request body ended", code: "body_incomplete"))
            connection.upload = nil
        }
        if !connection.busy && !connection.hasPendingOutput { close(connection) } else { updateInterest(connection) }
    }

    func write(_ connection: ServerConnection) {
        let before = connection.outputOffset
        guard connection.flush() else { close(connection); return }
        if connection.outputOffset != before || !connection.hasPendingOutput { connection.lastActivity = MonotonicClock.now }
        connection.stream?.update(pending: connection.output.count - connection.outputOffset)
        if !connection.hasPendingOutput && connection.closeAfterWrite && connection.stream == nil && !connection.busy {
            if connection.lingerOnClose && connection.lingerUntil == nil && !connection.peerClosed {
                // Half-close and drain: closing with unread input would reset the connection and
                // the client could miss the error response it was just sent.
                connection.socket.shutdownWrite()
                connection.lingerUntil = MonotonicClock.now + 2
            } else if connection.lingerUntil == nil {
                close(connection)
                return
            }
        }
        updateInterest(connection)
    }

    /// Read while the connection may take a request (or is draining before close); write while
    /// output waits. Not reading while busy keeps pipelined input in the kernel (back-pressure)
    /// and stops a closed peer from waking the loop over and over.
    private func updateInterest(_ connection: ServerConnection) {
        var wanted: EventLoop.Interest = []
        let canRead = connection.lingerUntil != nil
            || (!connection.busy && !connection.closeAfterWrite && !connection.peerClosed)
            || (connection.upload.map { !$0.isFull } ?? false) && !connection.peerClosed
        if canRead { wanted.insert(.read) }
        if connection.hasPendingOutput || connection.tls?.wantsWrite == true { wanted.insert(.write) }
        guard wanted != connection.interest else { return }
        connection.interest = wanted
        try? loop.modify(connection.socket.fileDescriptor, wanted)
    }

    func close(_ connection: ServerConnection) {
        guard byID.removeValue(forKey: connection.id) != nil else { return }
        connection.stream?.close()
        connection.upload?.fail(HTTPError(.badRequest, "The connection closed before the request body ended", code: "body_incomplete"))
        byDescriptor.removeValue(forKey: connection.socket.fileDescriptor)
        loop.deregister(connection.socket.fileDescriptor)
        connection.tls?.close()
        connection.socket.close()
        server.connectionCount.subtract(1, ordering: .relaxed)
    }
}
