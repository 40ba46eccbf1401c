/// How deliveries are made: who may be called, how often a failed one is retried.
public struct WebhookSettings: Sendable {
    /// Lets webhooks call loopback, private and link-local addresses
    /// (`ANNEAL_WEBHOOK_ALLOW_PRIVATE=1`): for receivers inside the cluster, and for tests.
    public var allowPrivate = false
    /// Delay before the first retry; each later one doubles it, up to `maxDelay`, with jitter.
    public var retryDelay = 10.0
    public var maxDelay = 3600.0
    /// Attempts in all before a delivery is given up as `failed`: by default 11 waits of 10 s
    /// doubling to an hour, 1.7 to 3.4 hours in all with the jitter.
    public var maxAttempts = 12
    /// Seconds a receiver has to connect and answer.
    public var timeout = 10.0
    /// Threads delivering at once per process.
    public var senders = 2

    public init() {}

    /// The wait after `attempt` failed attempts: `retryDelay · 2^(attempt-1)`, capped, then
    /// drawn uniformly from its upper half so that retries of many deliveries spread out.
    public func delay(afterAttempt attempt: Int, random: Double) -> Double {
        let full = min(maxDelay, retryDelay * Double(1 << min(max(attempt - 1, 0), 30)))
        return full / 2 + full / 2 * random
    }
}
