/// The one error type of the Store target, shaped like postgres-nio's `PSQLError`.
///
/// `description` names only the code, the SQLSTATE and the column, so it is safe to log and to
/// show. The server's message, its detail and the SQL text are in `debugDescription`
/// (`String(reflecting: error)`), for operators only: they may contain data.
public struct StoreError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case unavailable, query, decode, uniqueViolation
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server cannot be reached, or the connection was lost: callers answer 503.
        public static let unavailable = Code(.unavailable)
        /// The server rejected a statement; `sqlState` says why.
        public static let query = Code(.query)
        /// A column could not be decoded into the requested type; `column` names it.
        public static let decode = Code(.decode)
        /// A unique constraint was violated (SQLSTATE 23505).
        public static let uniqueViolation = Code(.uniqueViolation)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The five-character SQLSTATE reported by the server, if any.
    public var sqlState: String?
    /// The column that failed to decode.
    public var column: String?
    /// The server's (or libpq's) message. May contain data: debug output only.
    var message: String?
    /// The server's DETAIL field. May contain data: debug output only.
    var detail: String?
    /// The statement that failed.
    var sql: String?

    init(
        _ code: Code, sqlState: String? = nil, column: String? = nil,
        message: String? = nil, detail: String? = nil, sql: String? = nil
    ) {
        self.code = code
        self.sqlState = sqlState
        self.column = column
        self.message = message
        self.detail = detail
        self.sql = sql
    }

    /// Whether the failure is the database's state, not the statement: down or unreachable, out
    /// of disk or memory (class 53), a serialization failure or a deadlock. Retrying later may work.
    public var isTransient: Bool {
        code == .unavailable || sqlState?.hasPrefix("53") == true || sqlState == "40001" || sqlState == "40P01"
    }

    /// Whether the database is out of disk space (SQLSTATE 53100).
    public var isDiskFull: Bool { sqlState == "53100" }

    /// The code a server error maps to: connection-level classes become `.unavailable`.
    static func code(forSQLState state: String?) -> Code {
        guard let state else { return .query }
        if state == "23505" { return .uniqueViolation }
        if state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state) { return .unavailable }
        return .query
    }

    public var description: String {
        var text = "store error: \(code)"
        if let sqlState { text += " (\(sqlState))" }
        if let column { text += " column \"\(column)\"" }
        return text
    }

    public var debugDescription: String {
        var text = description
        if let message { text += ": \(message)" }
        if let detail { text += "\nDETAIL: \(detail)" }
        if let sql { text += "\nSQL: \(sql)" }
        return text
    }
}
