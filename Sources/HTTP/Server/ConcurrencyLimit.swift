import Synchronization

/// A bounded queue per key (per model, for inference routes), like text-embeddings-inference's
/// `--max-concurrent-requests`: the event loop asks before a request waits for a handler thread,
/// and past `limit` requests in flight for the same key the client gets 429 with `Retry-After`
/// at once, instead of a latency and a memory that grow with the load.
public final class ConcurrencyLimit: Sendable {
    /// Requests in flight (waiting or running) per key.
    public let limit: Int
    /// Seconds a rejected client is told to wait.
    public let retryAfter: Int
    let name: String
    private let key: @Sendable (HTTPRequest) -> String
    private let state = Mutex<State>(State())

    struct State {
        var inFlight: [String: Int] = [:]
        var admitted = 0
        var rejected = 0
    }

    /// `name` labels the metrics (`inference`); `key` picks the queue of a request, e.g. the model
    /// its body names. Keys come from clients: only keys with requests in flight are kept.
    public init(name: String, limit: Int, retryAfter: Int = 1, key: @escaping @Sendable (HTTPRequest) -> String) {
        precondition(limit > 0)
        self.name = name
        self.limit = limit
        self.retryAfter = retryAfter
        self.key = key
    }

    /// Takes a place for `request` unless its key's queue is full; `leave(key)` gives an admitted one back.
    func enter(_ request: HTTPRequest) -> (key: String, admitted: Bool) {
        let key = self.key(request)
        let admitted = state.withLock { state in
            let current = state.inFlight[key] ?? 0
            guard current < limit else {
                state.rejected += 1
                return false
            }
            state.inFlight[key] = current + 1
            state.admitted += 1
            return true
        }
        return (key, admitted)
    }

    /// Gives back the place `enter` took.
    func leave(_ key: String) {
        state.withLock { state in
            let current = (state.inFlight[key] ?? 1) - 1
            state.inFlight[key] = current > 0 ? current : nil
        }
    }

    /// The 429 for a request past the limit.
    func rejection(requestID: String, key: String) -> HTTPResponse {
        let what = key.isEmpty ? "this route" : "model \(key)"
        var response = HTTPError(.tooManyRequests, "Too many requests in flight for \(what) (limit \(limit)); retry after \(retryAfter) s",
                                 code: "too_many_requests").response(requestID: requestID)
        response.headers.set("Retry-After", String(retryAfter))
        return response
    }

    /// Requests in flight now for `key`.
    public func inFlight(_ key: String) -> Int { state.withLock { $0.inFlight[key] ?? 0 } }

    /// Prometheus text: the limit, requests in flight, keys at their limit, admitted and rejected
    /// totals. Keys (model names, which name tenants' jobs) stay out of the labels: /metrics needs no key.
    public func render() -> String {
        let (inFlight, admitted, rejected) = state.withLock { ($0.inFlight, $0.admitted, $0.rejected) }
        let label = "limit=\"\(escapeLabel(name))\""
        var out = "# HELP anneal_concurrency_limit Requests one key (model) may have in flight; more get 429.\n"
        out += "# TYPE anneal_concurrency_limit gauge\nanneal_concurrency_limit{\(label)} \(limit)\n"
        out += "# HELP anneal_concurrency_in_flight Requests in flight (waiting or running), all keys together.\n"
        out += "# TYPE anneal_concurrency_in_flight gauge\nanneal_concurrency_in_flight{\(label)} \(inFlight.values.reduce(0, +))\n"
        out += "# HELP anneal_concurrency_keys_at_limit Keys (models) with as many requests in flight as the limit.\n"
        out += "# TYPE anneal_concurrency_keys_at_limit gauge\n"
        out += "anneal_concurrency_keys_at_limit{\(label)} \(inFlight.values.filter { $0 >= limit }.count)\n"
        out += "# HELP anneal_concurrency_admitted_total Requests let through.\n"
        out += "# TYPE anneal_concurrency_admitted_total counter\nanneal_concurrency_admitted_total{\(label)} \(admitted)\n"
        out += "# HELP anneal_concurrency_rejected_total Requests answered 429 because their key was at its limit.\n"
        out += "# TYPE anneal_concurrency_rejected_total counter\nanneal_concurrency_rejected_total{\(label)} \(rejected)\n"
        return out
    }
}
