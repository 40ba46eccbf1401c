import CLibPQ
import Platform

/// One libpq connection. Not thread-safe: one user at a time (the pool hands it out so).
///
/// Statements go through `PQexecParams` with text parameters (bytea binary) and text results.
/// After a connection-level failure the connection is broken for good (`isBroken`); the pool
/// drops it and opens a new one on next use.
public final class Connection {
    let handle: OpaquePointer
    /// Set when a statement failed at the connection level, even if `PQstatus` still says OK.
    private var lost = false

    /// Opens a connection from a `postgresql://` URL or a `key=value` conninfo string.
    /// Adds `connect_timeout=5` unless the string sets it, and always uses UTF-8.
    public init(url: String) throws(StoreError) {
        // With expand_dbname, a key before "dbname" is a default the string may override;
        // a key after it overrides the string.
        let keywords = ["connect_timeout", "dbname", "client_encoding"]
        let values = ["5", url, "UTF8"]
        let handle = withCStrings(keywords.map { Array($0.utf8) } + [nil]) { k in
            withCStrings(values.map { Array($0.utf8) } + [nil]) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let handle else { throw StoreError(.unavailable, message: "out of memory") }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(handle))
            PQfinish(handle)
            throw StoreError(.unavailable, message: message)
        }
        // libpq prints notices (and the server's shutdown notice) to stderr by default.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        self.handle = handle
    }

    deinit { PQfinish(handle) }

    /// Whether the connection is unusable: libpq says it is bad, or a statement lost it.
    public var isBroken: Bool { lost || PQstatus(handle) != CONNECTION_OK }

    /// Set after moving megabytes in one message (a file chunk): libpq keeps its buffers at the
    /// largest size they ever reached, so the pool closes this connection instead of keeping it.
    public var retireAfterUse = false

    /// Runs a statement and returns its rows.
    public func query(_ q: Query) throws(StoreError) -> [Row] {
        let result = try run(q)
        defer { PQclear(result) }
        return rows(of: result)
    }

    /// Runs a statement with every result column in PostgreSQL's binary format, for large bytea
    /// values (no hex text to transfer and decode). Read columns with `Row.bytes(_:)`: bytea
    /// arrives as its bytes and text as its UTF-8; cast other types to text in the SQL.
    public func queryBinary(_ q: Query) throws(StoreError) -> [Row] {
        let result = try run(q, resultFormat: 1)
        defer { PQclear(result) }
        return rows(of: result)
    }

    /// Runs a statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ q: Query) throws(StoreError) -> Int {
        let result = try run(q)
        defer { PQclear(result) }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// Runs several statements with the simple protocol (no parameters), as migrations need.
    /// Outside a transaction they run in one implicit transaction.
    public func executeScript(_ sql: String) throws(StoreError) {
        try checkUsable(sql)
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, sql: sql)
    }

    /// Runs `body` between BEGIN and COMMIT; rolls back and rethrows if it throws.
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try execute("BEGIN")
        let value: T
        do {
            value = try body(self)
        } catch {
            rollbackQuietly()
            throw error
        }
        do {
            try execute("COMMIT")
        } catch {
            rollbackQuietly()
            throw error
        }
        return value
    }

    /// Sends a notification; delivered to listeners when the current transaction commits.
    public func notify(channel: String, payload: String) throws(StoreError) {
        try execute("SELECT pg_notify(\(channel), \(payload))")
    }

    /// Rolls back an open transaction, if any; a connection that cannot is marked broken.
    func rollbackQuietly() {
        guard !isBroken, PQtransactionStatus(handle) != PQTRANS_IDLE else { return }
        do { try execute("ROLLBACK") } catch { lost = true }
    }

    /// For the pool: true when the idle connection is still usable. An idle socket that is
    /// readable means the server sent something unasked (a shutdown notice) or closed it.
    func isAliveWhenIdle() -> Bool {
        guard !isBroken else { return false }
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: break
        case PQTRANS_INTRANS, PQTRANS_INERROR: rollbackQuietly()
        default: lost = true
        }
        let fd = PQsocket(handle)
        guard fd >= 0 else { lost = true; return false }
        // A shutting-down server sends a FATAL notice and then closes: libpq takes the notice as
        // a warning and sees the close only on the next read, so read until nothing is left.
        var reads = 0
        while !isBroken, reads < 8, !Poll.wait(fd, for: .readable, timeout: 0).isEmpty {
            if PQconsumeInput(handle) == 0 { lost = true }
            while let notice = PQnotifies(handle) { PQfreemem(notice) }
            reads += 1
        }
        return !isBroken
    }

    private func checkUsable(_ sql: String) throws(StoreError) {
        if isBroken {
            throw StoreError(.unavailable, message: "the connection was lost", sql: sql)
        }
    }

    private func run(_ q: Query, resultFormat: Int32 = 0) throws(StoreError) -> OpaquePointer {
        try checkUsable(q.sql)
        let result = try execParams(q, resultFormat: resultFormat)
        do {
            try check(result, sql: q.sql)
        } catch {
            PQclear(result)
            throw error
        }
        return result!
    }

    /// Throws the error a failed result (or a nil one) stands for.
    private func check(_ result: OpaquePointer?, sql: String) throws(StoreError) {
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY { return }
        var error = StoreError(.query, sql: sql)
        if let result {
            error.sqlState = field(result, "C")
            error.message = field(result, "M") ?? String(cString: PQresultErrorMessage(result))
            error.detail = field(result, "D")
        }
        if error.message?.isEmpty ?? true { error.message = String(cString: PQerrorMessage(handle)) }
        error.code = StoreError.code(forSQLState: error.sqlState)
        if result == nil || PQstatus(handle) != CONNECTION_OK || error.code == .unavailable {
            lost = true
            error.code = .unavailable
        }
        throw error
    }

    private func field(_ result: OpaquePointer, _ code: Unicode.Scalar) -> String? {
        PQresultErrorField(result, Int32(code.value)).map { String(cString: $0) }
    }
}
