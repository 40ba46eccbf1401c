import Platform

/// A fixed-size pool of connections, opened lazily, shared by many threads.
///
/// A connection that is broken (lost server, failed at the connection level) is dropped when it
/// comes back, and an idle one is checked before reuse, so after a PostgreSQL restart the pool
/// recovers by itself. While the server is down, `withConnection` throws `.unavailable` quickly
/// (connections refused, or `connect_timeout`).
public final class ConnectionPool: @unchecked Sendable {
    private struct State {
        var idle: [Connection] = []
        /// Connections in existence or being opened: idle + in use + connecting.
        var open = 0
        var closed = false
    }

    private let url: String
    private let size: Int
    private let acquireTimeout: Double
    private let state = ConditionLock(State())

    /// `size` connections at most; `acquireTimeout` seconds to wait for one to be free.
    public init(url: String, size: Int = 8, acquireTimeout: Double = 10) {
        precondition(size > 0, "a pool needs at least one connection")
        self.url = url
        self.size = size
        self.acquireTimeout = acquireTimeout
    }

    deinit { close() }

    /// Runs `body` with a connection of its own, waiting for one to be free.
    /// A transaction the body leaves open is rolled back.
    public func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        let connection = try acquire()
        defer { release(connection) }
        return try body(connection)
    }

    /// Runs `body` in a transaction on a pooled connection.
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try withConnection { connection in try connection.transaction(body) }
    }

    /// Closes the idle connections; ones in use close when returned. Later calls throw `.unavailable`.
    public func close() {
        let idle = state.withLock { state in
            state.closed = true
            state.open -= state.idle.count
            defer { state.idle = [] }
            return state.idle
        }
        _ = idle  // released here, outside the lock
        state.broadcast()
    }

    private enum Slot {
        case reuse(Connection)
        case open
        case closed
        case timedOut
    }

    private func acquire() throws(StoreError) -> Connection {
        let deadline = MonotonicClock.now + acquireTimeout
        while true {
            let slot: Slot = state.withLock(
                when: { $0.closed || !$0.idle.isEmpty || $0.open < size },
                timeout: max(0, deadline - MonotonicClock.now)
            ) { state, _ in
                if state.closed { return .closed }
                if let connection = state.idle.popLast() { return .reuse(connection) }
                guard state.open < size else { return .timedOut }
                state.open += 1
                return .open
            }
            switch slot {
            case .reuse(let connection):
                if connection.isAliveWhenIdle() { return connection }
                drop()  // and loop: open a new one in its place
            case .open:
                do {
                    return try Connection(url: url)
                } catch {
                    drop()
                    throw error
                }
            case .closed:
                throw StoreError(.unavailable, message: "the pool is closed")
            case .timedOut:
                throw StoreError(.unavailable, message: "timed out after \(acquireTimeout) s waiting for a pooled connection")
            }
        }
    }

    private func release(_ connection: Connection) {
        connection.rollbackQuietly()
        if connection.isBroken || connection.retireAfterUse {
            drop()
            return
        }
        state.withLock { state in
            if state.closed {
                state.open -= 1  // closes when `connection` goes out of scope
            } else {
                state.idle.append(connection)
            }
        }
        state.broadcast()
    }

    /// Forgets one connection (it is closed when the last reference goes).
    private func drop() {
        state.withLock { $0.open -= 1 }
        state.broadcast()
    }
}
