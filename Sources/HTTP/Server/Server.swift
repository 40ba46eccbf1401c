import Platform
import Synchronization

/// Limits and sizes of the HTTP server. Times are in seconds.
public struct ServerConfiguration: Sendable {
    public var host = "0.0.0.0"
    public var port = 8080
    /// Event-loop threads; each accepts from the shared listening socket.
    public var loopThreads = Environment.processorCount
    /// Threads for handlers that block (database calls).
    public var handlerThreads = 32
    /// Open connections at most (idle keep-alive ones included); past it new ones get 503. Capped
    /// at start by the open-file limit, which the server raises to its hard limit.
    public var maxConnections = 16384
    public var maxHeaderBytes = 16 * 1024
    /// A request that sends nothing for this long while incomplete gets 408 and is closed.
    public var readTimeout = 30.0
    /// A request whose head (request line and fields) takes longer than this gets 408 and is
    /// closed, however steadily it trickles in (slowloris; nginx's `client_header_timeout`).
    public var headTimeout = 30.0
    /// A request whose whole head and body take longer than this gets 408 and is closed.
    public var requestTimeout = 300.0
    /// A keep-alive connection idle between requests for this long gets 408 and is closed.
    public var idleTimeout = 75.0
    /// Speak TLS on the listening port (nil: plain HTTP).
    public var tls: TLSContext?

    public init() {}
}

/// An HTTP/1.1 server on non-blocking POSIX sockets and epoll (see STYLE.md section 6):
/// `Socket` and `EventLoop` in Platform, the `RequestParser` codec, then this server.
public final class Server: Sendable {
    public let configuration: ServerConfiguration
    let router: Router
    let metrics: RequestMetrics
    let pool: HandlerPool
    let connectionCount = Atomic<Int>(0)
    /// `configuration.maxConnections`, within the open-file limit (set by `start`).
    let connectionLimit = Atomic<Int>(0)
    private let loops: Mutex<[ServerLoop]> = Mutex([])
    private let running = ConditionLock(0)
    private let listenerSocket: Mutex<Socket?> = Mutex(nil)

    public init(configuration: ServerConfiguration, router: Router, metrics: RequestMetrics) {
        self.configuration = configuration
        self.router = router
        self.metrics = metrics
        self.pool = HandlerPool(threads: configuration.handlerThreads)
    }

    /// Binds and starts the loop threads; returns at once.
    public func start() throws(Errno) {
        let files = Environment.raiseOpenFileLimit()
        connectionLimit.store(max(1, min(configuration.maxConnections, files - 256)), ordering: .relaxed)
        let listener = try Socket.listen(host: configuration.host, port: configuration.port)
        listenerSocket.withLock { $0 = listener }
        let prefix = String(Crypto.hex(Crypto.randomBytes(4)))
        var started: [ServerLoop] = []
        for index in 0..<max(1, configuration.loopThreads) {
            let loop = try ServerLoop(server: self, listener: listener, idPrefix: "\(prefix)\(index)")
            started.append(loop)
        }
        loops.withLock { $0 = started }
        running.withLock { $0 = started.count }
        for loop in started {
            Thread.spawn(name: "http-loop") { [self] in
                loop.run()
                running.withLock { $0 -= 1 }
                running.broadcast()
            }
        }
    }

    /// The bound port (useful with port 0).
    public var port: Int { listenerSocket.withLock { $0?.localPort ?? 0 } }

    /// Stops accepting, lets in-flight requests finish and be written, closes idle connections,
    /// and returns when all are closed or `grace` seconds have passed (then the rest are cut).
    /// Returns whether everything drained in time.
    @discardableResult
    public func shutdown(grace: Double) -> Bool {
        let current = loops.withLock { $0 }
        for loop in current { loop.requestStop(force: false) }
        let drained = running.withLock(when: { $0 == 0 }, timeout: grace) { _, ready in ready }
        if !drained {
            for loop in current { loop.requestStop(force: true) }
            running.withLock(when: { $0 == 0 }, timeout: 5) { _, _ in }
        }
        listenerSocket.withLock { socket in
            socket?.close()
            socket = nil
        }
        pool.stop()
        return drained
    }
}
