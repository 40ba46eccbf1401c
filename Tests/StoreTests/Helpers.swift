import Store
import TestSupport

/// Runs `body` with the URL of a fresh database that is dropped afterwards.
func withDatabase<T>(_ body: (String) throws -> T) throws -> T {
    let database = try TestDatabase.create()
    defer { database.drop() }
    return try body(database.url)
}

/// Runs `body` with a connection to a fresh database.
func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
    try withDatabase { url in try body(try Connection(url: url)) }
}

/// The StoreError `body` throws; nil if it throws nothing (or something else).
func storeError(_ body: () throws -> Void) -> StoreError? {
    do {
        try body()
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        return nil
    }
}
