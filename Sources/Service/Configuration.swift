import Jobs
import Platform

/// Settings from the environment, overridden by flags (`--port 9000` or `--port=9000`).
public struct Configuration: Sendable {
    public var databaseURL = ""
    public var host = "0.0.0.0"
    public var port = 8080
    public var models = "./models"
    public var workers = 1
    public var logLevel = Log.Level.info
    /// Seconds SIGTERM waits for in-flight requests and jobs before cutting them.
    public var shutdownGrace = 25.0
    /// Largest upload. Uploads stream to 8 MiB chunks as they arrive (a few chunks of memory
    /// whatever the size), so only the database's disk bounds it.
    public var uploadLimit = 2 << 30
    /// Seconds a worker's claim on a job lasts without a heartbeat: how soon a job whose worker
    /// died (kill -9, eviction) is handed to another one.
    public var leaseSeconds = 30
    /// Megabytes of loaded models each inference cache keeps (least recently used dropped first):
    /// fine-tuned classifiers for `/predict`, and language models for completions, separately.
    public var modelCacheMB = 2048
    /// The engine's threads for training and inference: every processor, at most 8.
    public var threads = min(Environment.processorCount, 8)
    /// Requests one model may have in flight on `/predict`, `/embed` and the completion routes
    /// (waiting for their batch or running); more get 429 with `Retry-After` at once.
    public var maxConcurrentRequests = 32
    /// Open connections at most; past it new ones get 503 (within the open-file limit).
    public var maxConnections = 16384
    /// PEM certificate chain and private key: when both are set the server speaks TLS itself.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// Who webhooks may call and how failed deliveries are retried.
    public var webhooks = WebhookSettings()

    public init() {}

    /// name → (environment variable, setter)
    static let settings: [(flag: String, variable: String, set: @Sendable (inout Configuration, String) throws(ConfigurationError) -> Void)] = [
        ("database-url", "DATABASE_URL", { c, v throws(ConfigurationError) in c.databaseURL = v }),
        ("host", "ANNEAL_HOST", { c, v throws(ConfigurationError) in c.host = v }),
        ("port", "ANNEAL_PORT", { c, v throws(ConfigurationError) in c.port = try integer(v, "port", 0...65535) }),
        ("models", "ANNEAL_MODELS", { c, v throws(ConfigurationError) in c.models = v }),
        ("workers", "ANNEAL_WORKERS", { c, v throws(ConfigurationError) in c.workers = try integer(v, "workers", 0...256) }),
        ("log-level", "ANNEAL_LOG_LEVEL", { c, v throws(ConfigurationError) in
            guard let level = Log.Level(name: v) else { throw ConfigurationError("log level must be debug, info, warn or error, not \"\(v)\"") }
            c.logLevel = level
        }),
        ("shutdown-grace", "ANNEAL_SHUTDOWN_GRACE", { c, v throws(ConfigurationError) in
            c.shutdownGrace = Double(try integer(v, "shutdown grace", 0...3600))
        }),
        ("lease-seconds", "ANNEAL_LEASE_SECONDS", { c, v throws(ConfigurationError) in
            c.leaseSeconds = try integer(v, "lease seconds", 2...3600)
        }),
        ("max-upload-bytes", "ANNEAL_MAX_UPLOAD_BYTES", { c, v throws(ConfigurationError) in
            c.uploadLimit = try integer(v, "max upload bytes", 1...(16 << 30))
        }),
        ("model-cache-mb", "ANNEAL_MODEL_CACHE_MB", { c, v throws(ConfigurationError) in
            c.modelCacheMB = try integer(v, "model cache megabytes", 1...(1 << 20))
        }),
        ("max-concurrent-requests", "ANNEAL_MAX_CONCURRENT_REQUESTS", { c, v throws(ConfigurationError) in
            c.maxConcurrentRequests = try integer(v, "max concurrent requests", 1...4096)
        }),
        ("max-connections", "ANNEAL_MAX_CONNECTIONS", { c, v throws(ConfigurationError) in
            c.maxConnections = try integer(v, "max connections", 1...1_000_000)
        }),
        ("tls-cert", "ANNEAL_TLS_CERT", { c, v throws(ConfigurationError) in c.tlsCertificate = v.isEmpty ? nil : v }),
        ("tls-key", "ANNEAL_TLS_KEY", { c, v throws(ConfigurationError) in c.tlsKey = v.isEmpty ? nil : v }),
        ("threads", "ANNEAL_THREADS", { c, v throws(ConfigurationError) in c.threads = try integer(v, "threads", 1...8) }),
        ("webhook-allow-private", "ANNEAL_WEBHOOK_ALLOW_PRIVATE", { c, v throws(ConfigurationError) in
            c.webhooks.allowPrivate = try integer(v, "webhook allow private (0 or 1)", 0...1) == 1
        }),
        ("webhook-retry-seconds", "ANNEAL_WEBHOOK_RETRY_SECONDS", { c, v throws(ConfigurationError) in
            c.webhooks.retryDelay = Double(try integer(v, "webhook retry seconds", 1...3600))
        }),
        ("webhook-max-attempts", "ANNEAL_WEBHOOK_MAX_ATTEMPTS", { c, v throws(ConfigurationError) in
            c.webhooks.maxAttempts = try integer(v, "webhook max attempts", 1...100)
        }),
    ]

    /// Reads the environment, then applies `flags` (the ones not for the subcommand itself).
    public static func load(flags: [String], environment: (String) -> String? = { Environment[$0] }) throws(ConfigurationError) -> Configuration {
        var configuration = Configuration()
        for setting in settings {
            if let value = environment(setting.variable) { try setting.set(&configuration, value) }
        }
        var index = 0
        while index < flags.count {
            let flag = flags[index]
            guard flag.hasPrefix("--") else { throw ConfigurationError("unexpected argument \"\(flag)\"") }
            var name = String(flag.dropFirst(2))
            var value: String
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            } else {
                guard index + 1 < flags.count else { throw ConfigurationError("--\(name) needs a value") }
                index += 1
                value = flags[index]
            }
            guard let setting = settings.first(where: { $0.flag == name }) else {
                throw ConfigurationError("unknown flag --\(name)")
            }
            try setting.set(&configuration, value)
            index += 1
        }
        return configuration
    }

    static func integer(_ text: String, _ name: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), not \"\(text)\"")
        }
        return value
    }

    public static var usageOfFlags: String {
        settings.map { "  --\($0.flag) VALUE".padded(to: 28) + "(env \($0.variable))" }.joined(separator: "\n")
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension String {
    func padded(to width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}
