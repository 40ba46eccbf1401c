/// What a handler sees besides the request: its id, the matched route and its path parameters.
public struct RequestContext: Sendable {
    public var requestID: String
    /// The matched pattern, e.g. `/v1/files/{id}`, or `unmatched`; metrics and logs use it.
    public var route: String
    public var parameters: [String: String]
    public var peer: String
    /// Whether the route requires authentication; the auth middleware reads it.
    public var authenticated: Bool
    /// Who made the request, set by the auth middleware (the tenant).
    public var principal: String?
    /// Whether the client has hung up, or only shut down its sending side (TCP cannot tell the two
    /// apart before a write): long handlers with one answer at the end (generation) poll it to stop early.
    public var clientGone: @Sendable () -> Bool = { false }
    /// Whether the client can no longer be reached (reset, failed): streamed responses poll this one,
    /// whose writes tell a client that left from one that only half-closed and still reads.
    public var clientUnreachable: @Sendable () -> Bool = { false }
    /// The body as it arrives, on a route that streams its body (the request's `body` is empty then).
    public var body: RequestBody?

    public init(requestID: String, route: String = "unmatched", parameters: [String: String] = [:],
                peer: String = "", authenticated: Bool = true, principal: String? = nil) {
        self.requestID = requestID
        self.route = route
        self.parameters = parameters
        self.peer = peer
        self.authenticated = authenticated
        self.principal = principal
    }

    /// A path parameter; routes only match when it is present.
    public func parameter(_ name: String) -> String { parameters[name] ?? "" }
}

/// Turns a request into a response. Runs on a handler thread unless the route is `inline`.
public typealias Handler = @Sendable (HTTPRequest, RequestContext) throws -> HTTPResponse

public struct RouteOptions: Sendable {
    /// Runs on the event-loop thread: only for handlers that never block (health, metrics).
    public var inline: Bool
    /// Largest accepted request body in bytes; more answers 413 before the body is read.
    public var bodyLimit: Int
    /// The handler gets the body as it arrives (`RequestContext.body`), not buffered whole: for
    /// uploads larger than memory should hold.
    public var streamsBody: Bool
    public var authenticated: Bool
    /// Access-log level for this route (health probes log at debug so they don't drown the log).
    public var logAtDebug: Bool
    /// Bounds the requests in flight per key (model); past it the loop answers 429 itself.
    public var limit: ConcurrencyLimit?

    public init(inline: Bool = false, bodyLimit: Int = 1 << 20, authenticated: Bool = true, logAtDebug: Bool = false,
                limit: ConcurrencyLimit? = nil, streamsBody: Bool = false) {
        self.limit = limit
        self.streamsBody = streamsBody
        self.inline = inline
        self.bodyLimit = bodyLimit
        self.authenticated = authenticated
        self.logAtDebug = logAtDebug
    }
}

/// Routes by method and path pattern (`/v1/files/{id}/content`), then through the middleware.
public final class Router: Sendable {
    struct Route: Sendable {
        var method: String
        var pattern: String
        var segments: [Substring]
        var options: RouteOptions
        var handler: Handler
    }

    public struct Match: Sendable {
        public var options: RouteOptions
        public var pattern: String
        public var parameters: [String: String]
        var handler: Handler
    }

    private let routes: [Route]
    private let middleware: [any Middleware]

    public init(middleware: [any Middleware] = [], _ build: (inout RouteTable) -> Void) {
        var table = RouteTable()
        build(&table)
        self.routes = table.routes
        self.middleware = middleware
    }

    /// Every route: its method, pattern and whether it needs a key (the isolation test walks them all).
    public var table: [(method: String, pattern: String, authenticated: Bool)] {
        routes.map { ($0.method, $0.pattern, $0.options.authenticated) }
    }

    /// The route for a method and path; HEAD falls back to GET. Throws 404 or 405.
    public func match(method: String, path: String) throws(HTTPError) -> Match {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var allowed: [String] = []
        for route in routes where route.segments.count == parts.count {
            var parameters: [String: String] = [:]
            var matched = true
            for (segment, part) in zip(route.segments, parts) {
                if segment.first == "{" && segment.last == "}" {
                    parameters[String(segment.dropFirst().dropLast())] = String(part)
                } else if segment != part {
                    matched = false
                    break
                }
            }
            guard matched else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return Match(options: route.options, pattern: route.pattern, parameters: parameters, handler: route.handler)
            }
            allowed.append(route.method)
        }
        if allowed.isEmpty { throw HTTPError(.notFound, "No route for \(method) \(path)", code: "not_found") }
        throw HTTPError(.methodNotAllowed, "\(method) is not allowed on \(path); allowed: \(allowed.joined(separator: ", "))",
                        code: "method_not_allowed")
    }

    /// The body limit for a request head: the route's, or a small one for unknown routes.
    public func bodyLimit(method: String, path: String) -> Int {
        (try? match(method: method, path: path))?.options.bodyLimit ?? 64 * 1024
    }

    public func streamsBody(method: String, path: String) -> Bool {
        (try? match(method: method, path: path))?.options.streamsBody ?? false
    }

    /// Runs the middleware chain and the handler.
    public func respond(_ request: HTTPRequest, _ context: RequestContext, _ match: Match) throws -> HTTPResponse {
        var next: (HTTPRequest, RequestContext) throws -> HTTPResponse = { request, context in
            try match.handler(request, context)
        }
        for layer in middleware.reversed() {
            let inner = next
            next = { request, context in try layer.handle(request, context: context, next: inner) }
        }
        return try next(request, context)
    }
}

/// Collects routes while a `Router` is built.
public struct RouteTable {
    var routes: [Router.Route] = []

    public mutating func add(_ method: String, _ pattern: String, _ options: RouteOptions = RouteOptions(),
                             _ handler: @escaping Handler) {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: true)
        routes.append(Router.Route(method: method, pattern: pattern, segments: segments, options: options, handler: handler))
    }
}

/// A layer around every handler: `handle` may answer itself or call `next`.
public protocol Middleware: Sendable {
    func handle(_ request: HTTPRequest, context: RequestContext,
                next: (HTTPRequest, RequestContext) throws -> HTTPResponse) throws -> HTTPResponse
}
