import Synchronization

/// Request counts and latency histograms by route, method and status, in Prometheus text format.
public final class RequestMetrics: Sendable {
    public static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct Key: Hashable { var route: String; var method: String; var status: Int }
    struct Series { var count = 0; var sum = 0.0; var bucketCounts = [Int](repeating: 0, count: RequestMetrics.buckets.count) }

    private let series = Mutex<[Key: Series]>([:])

    public init() {}

    /// The method as a label: clients may send any token, so others count as `OTHER`.
    static func methodLabel(_ method: String) -> String {
        ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"].contains(method) ? method : "OTHER"
    }

    public func record(route: String, method: String, status: Int, seconds: Double) {
        let key = Key(route: route, method: method, status: status)
        series.withLock { all in
            var entry = all[key] ?? Series()
            entry.count += 1
            entry.sum += seconds
            if let index = RequestMetrics.buckets.firstIndex(where: { seconds <= $0 }) { entry.bucketCounts[index] += 1 }
            all[key] = entry
        }
    }

    /// `anneal_http_requests_total` and `anneal_http_request_duration_seconds`.
    public func render() -> String {
        let snapshot = series.withLock { $0 }.sorted {
            ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status)
        }
        var out = "# HELP anneal_http_requests_total HTTP requests answered, by route, method and status.\n"
        out += "# TYPE anneal_http_requests_total counter\n"
        for (key, entry) in snapshot {
            out += "anneal_http_requests_total{\(labels(key))} \(entry.count)\n"
        }
        out += "# HELP anneal_http_request_duration_seconds Time from a request's first byte to its response being queued.\n"
        out += "# TYPE anneal_http_request_duration_seconds histogram\n"
        for (key, entry) in snapshot {
            var cumulative = 0
            for (bound, count) in zip(RequestMetrics.buckets, entry.bucketCounts) {
                cumulative += count
                out += "anneal_http_request_duration_seconds_bucket{\(labels(key)),le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "anneal_http_request_duration_seconds_bucket{\(labels(key)),le=\"+Inf\"} \(entry.count)\n"
            out += "anneal_http_request_duration_seconds_sum{\(labels(key))} \(entry.sum)\n"
            out += "anneal_http_request_duration_seconds_count{\(labels(key))} \(entry.count)\n"
        }
        return out
    }

    private func labels(_ key: Key) -> String {
        "route=\"\(escapeLabel(key.route))\",method=\"\(escapeLabel(key.method))\",status=\"\(key.status)\""
    }
}

/// Escapes a Prometheus label value (backslash, quote, newline).
public func escapeLabel(_ value: String) -> String {
    var out = ""
    for scalar in value.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}
