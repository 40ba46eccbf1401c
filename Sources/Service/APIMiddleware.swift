import HTTP
import Platform
import Store
import Synchronization

/// Authenticates `Authorization: Bearer KEY` against the SHA-256 hashes in `api_key` and sets
/// the request's tenant. Lookups are cached for a short time so a burst costs one query. Keys are
/// never compared themselves: the lookup is by the key's SHA-256, so a timing difference could tell
/// only about a hash, which says nothing of the key.
final class AuthMiddleware: Middleware {
    let pool: ConnectionPool
    private let cache = Mutex<[String: (tenant: String, until: Double)]>([:])
    static let cacheSeconds = 10.0

    init(pool: ConnectionPool) { self.pool = pool }

    func handle(_ request: HTTPRequest, context: RequestContext,
                next: (HTTPRequest, RequestContext) throws -> HTTPResponse) throws -> HTTPResponse {
        guard context.authenticated else { return try next(request, context) }
        guard let header = request.head.headers["Authorization"], header.hasPrefix("Bearer "),
              case let key = String(header.dropFirst(7)).trimmingSpaces(), !key.isEmpty else {
            throw HTTPError(.unauthorized, "Missing API key: send it as \"Authorization: Bearer KEY\"", code: "missing_api_key")
        }
        let hash = Crypto.sha256Hex(key)
        let now = MonotonicClock.now
        var tenant = cache.withLock { cache -> String? in
            guard let entry = cache[hash], entry.until > now else { return nil }
            return entry.tenant
        }
        if tenant == nil {
            tenant = try pool.withConnection { connection in
                try connection.query("SELECT tenant_id FROM api_key WHERE key_sha256 = \(hash)").first?.decode(String.self, "tenant_id")
            }
            guard let found = tenant else {
                throw HTTPError(.unauthorized, "Incorrect API key provided", code: "invalid_api_key")
            }
            cache.withLock { cache in
                if cache.count > 10_000 { cache.removeAll() }
                cache[hash] = (found, now + AuthMiddleware.cacheSeconds)
            }
        }
        var context = context
        context.principal = tenant
        return try next(request, context)
    }
}

/// Turns store failures into API errors: an unreachable database is a 503 the client may retry.
struct StoreErrorMiddleware: Middleware {
    func handle(_ request: HTTPRequest, context: RequestContext,
                next: (HTTPRequest, RequestContext) throws -> HTTPResponse) throws -> HTTPResponse {
        do {
            return try next(request, context)
        } catch let error as StoreError where error.code == .unavailable {
            Log.warn("database unavailable", [("request_id", .string(context.requestID)), ("error", .string(String(reflecting: error)))])
            var response = HTTPError(.serviceUnavailable, "The database is unavailable; retry shortly", code: "database_unavailable")
                .response(requestID: context.requestID)
            response.headers.set("Retry-After", "1")
            return response
        } catch let error as StoreError where error.isDiskFull {
            // The transaction rolled back: nothing half-written is kept.
            Log.error("database out of disk space", [("request_id", .string(context.requestID)), ("error", .string(String(reflecting: error)))])
            throw HTTPError(.insufficientStorage, "The database is out of disk space; nothing was stored. Retry once space is freed",
                            code: "insufficient_storage", type: "server_error")
        } catch let error as StoreError where error.isTransient {
            Log.warn("database busy", [("request_id", .string(context.requestID)), ("error", .string(String(reflecting: error)))])
            var response = HTTPError(.serviceUnavailable, "The database cannot take the request now; retry shortly", code: "database_unavailable")
                .response(requestID: context.requestID)
            response.headers.set("Retry-After", "1")
            return response
        } catch let error as StoreError where error.sqlState?.hasPrefix("22") == true {
            // Data exceptions (a NUL character, a value out of range) come from what the client sent.
            throw HTTPError.badRequest("The request holds a value that cannot be stored (such as a NUL character)",
                                       code: "invalid_value")
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " || scalars.first == "\t" { scalars.removeFirst() }
        while scalars.last == " " || scalars.last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
