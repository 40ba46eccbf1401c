/// A SQL statement whose interpolated values become `$n` bind parameters.
///
///     let q: Query = "SELECT * FROM file WHERE id = \(id) AND tenant_id = \(tenant)"
///     // q.sql == "SELECT * FROM file WHERE id = $1 AND tenant_id = $2"
///
/// Only string literals become SQL text: values always go as parameters, another `Query` is
/// spliced with its parameters renumbered, and `\(literal: "DESC")` inserts a keyword chosen
/// in code (it takes a `StaticString`, so it cannot carry input).
public struct Query: ExpressibleByStringInterpolation, Sendable {
    enum Part: Sendable {
        case sql(String)
        case bind(Int)  // index into `binds`
    }

    /// The statement text with `$1`, `$2`, ... placeholders.
    public private(set) var sql: String = ""
    private(set) var parts: [Part] = []
    private(set) var binds: [PostgresBind] = []

    public init(stringLiteral value: StaticString) {
        appendSQL(value.description)
    }

    public init(stringInterpolation: StringInterpolation) {
        self = stringInterpolation.query
    }

    mutating func appendSQL(_ text: String) {
        guard !text.isEmpty else { return }
        sql += text
        parts.append(.sql(text))
    }

    mutating func appendBind(_ bind: PostgresBind) {
        binds.append(bind)
        sql += "$\(binds.count)"
        parts.append(.bind(binds.count - 1))
    }

    mutating func append(_ other: Query) {
        let offset = binds.count
        binds += other.binds
        for part in other.parts {
            switch part {
            case .sql(let text):
                sql += text
                parts.append(part)
            case .bind(let index):
                sql += "$\(offset + index + 1)"
                parts.append(.bind(offset + index))
            }
        }
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var query = Query(parts: [])

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: StaticString) {
            query.appendSQL(literal.description)
        }

        /// A bind parameter.
        public mutating func appendInterpolation<T: PostgresEncodable>(_ value: T) {
            query.appendBind(value.postgresBind)
        }

        /// A bind parameter; nil is NULL.
        public mutating func appendInterpolation<T: PostgresEncodable>(_ value: T?) {
            query.appendBind(value?.postgresBind ?? T.postgresNull)
        }

        /// A fragment: its text and its parameters, renumbered.
        public mutating func appendInterpolation(_ fragment: Query) {
            query.append(fragment)
        }

        /// SQL text chosen in code, such as `ASC` or `DESC`.
        public mutating func appendInterpolation(literal: StaticString) {
            query.appendSQL(literal.description)
        }
    }

    private init(parts: [Part]) { self.parts = parts }
}
