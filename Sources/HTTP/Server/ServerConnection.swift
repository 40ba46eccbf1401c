import Platform

/// One client connection, owned by the loop thread that accepted it.
final class ServerConnection {
    let socket: Socket
    /// The TLS session when the server speaks TLS: reads and writes go through it.
    let tls: TLSSession?
    /// Unique within its loop: completions from handler threads find their connection by it,
    /// never by file descriptor (which the kernel reuses).
    let id: UInt64
    let peer: String
    var parser: RequestParser
    var output: [UInt8] = []
    var outputOffset = 0
    /// A request is with a handler thread; later pipelined requests wait in the parser's buffer.
    var busy = false
    /// The streamed body being sent, if any (the connection stays busy until it ends).
    var stream: StreamChannel?
    /// The streamed request body a handler is reading, until its last byte is handed over.
    var upload: RequestBody?
    var closeAfterWrite = false
    var peerClosed = false
    /// What the loop's epoll watches for this socket (`.read` when registered).
    var interest: EventLoop.Interest = .read
    /// Close after an error answer only once the client stopped sending (lingering close).
    var lingerOnClose = false
    /// While set, the write side is shut and input is read and dropped until this time.
    var lingerUntil: Double?
    var lastActivity: Double
    /// When the first byte of the request being received arrived (nil between requests).
    var requestStarted: Double?

    init(socket: Socket, tls: TLSSession?, id: UInt64, peer: String, parser: RequestParser, now: Double) {
        self.socket = socket
        self.tls = tls
        self.id = id
        self.peer = peer
        self.parser = parser
        self.lastActivity = now
    }

    var hasPendingOutput: Bool { outputOffset < output.count }

    /// Idle: between requests with nothing in flight, so it may be closed at once on shutdown.
    var isIdle: Bool { !busy && !hasPendingOutput && !parser.isMidRequest }

    func queue(_ bytes: [UInt8]) {
        if output.isEmpty {
            output = bytes
            outputOffset = 0
        } else {
            output.append(contentsOf: bytes)
        }
    }

    /// Reads from the socket, through TLS when there is a session.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Socket.ReadResult {
        if let tls { return try tls.read(into: buffer) }
        return try socket.read(into: buffer)
    }

    func send(_ bytes: UnsafeRawBufferPointer) throws(Errno) -> Socket.WriteResult {
        if let tls { return try tls.write(bytes) }
        return try socket.write(bytes)
    }

    /// Writes what it can; returns false when the peer is gone.
    func flush() -> Bool {
        while outputOffset < output.count {
            let result = output.withUnsafeBytes { raw in
                Result { () throws(Errno) in try send(UnsafeRawBufferPointer(rebasing: raw[outputOffset...])) }
            }
            switch result {
            case .success(.bytes(let n)): outputOffset += n
            case .success(.wouldBlock): return true
            case .failure: return false
            }
        }
        output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
        outputOffset = 0
        return true
    }
}
