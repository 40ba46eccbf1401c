/// The column names of one result, shared by its rows.
final class Columns: Sendable {
    let names: [String]
    let index: [String: Int]

    init(_ names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (i, name) in names.enumerated() where index[name] == nil { index[name] = i }
        self.index = index
    }
}

/// One result row in text format. Columns are found by name; with duplicate names the first wins.
public struct Row: Sendable {
    let columns: Columns
    /// The text-format bytes of each column; nil is NULL.
    let values: [[UInt8]?]

    /// The column names, in result order.
    public var columnNames: [String] { columns.names }

    /// Decodes a non-NULL column; NULL, a missing column or bad text throws `.decode` naming it.
    public func decode<T: PostgresDecodable>(_ type: T.Type, _ column: String) throws(StoreError) -> T {
        guard let bytes = try raw(column) else {
            throw StoreError(.decode, column: column, message: "NULL where \(T.self) was expected")
        }
        return try decodeValue(T.self, bytes, column)
    }

    /// Decodes a nullable column: NULL is nil.
    public func decode<T: PostgresDecodable>(_ type: T?.Type, _ column: String) throws(StoreError) -> T? {
        guard let bytes = try raw(column) else { return nil }
        return try decodeValue(T.self, bytes, column)
    }

    /// A column's bytes as the server sent them (for `Connection.queryBinary`); nil is NULL.
    public func bytes(_ column: String) throws(StoreError) -> [UInt8]? { try raw(column) }

    /// Whether the column is NULL (or absent).
    public func isNull(_ column: String) -> Bool {
        guard let i = columns.index[column] else { return true }
        return values[i] == nil
    }

    private func raw(_ column: String) throws(StoreError) -> [UInt8]? {
        guard let i = columns.index[column] else {
            throw StoreError(.decode, column: column, message: "no such column in the result")
        }
        return values[i]
    }

    private func decodeValue<T: PostgresDecodable>(
        _ type: T.Type, _ bytes: [UInt8], _ column: String
    ) throws(StoreError) -> T {
        guard let value = T(postgresText: bytes) else {
            throw StoreError(.decode, column: column, message: "cannot decode \(T.self) from \(String(decoding: bytes, as: UTF8.self))")
        }
        return value
    }
}
