import Engine

/// The engine's thread team for every model trained or served in this process.
public enum EngineThreads {
    /// Sets the team's size (1...8; results are bit-identical for a given count). Call once at
    /// startup, before any training or inference: the binary does, from `Configuration.threads`.
    public static func use(_ count: Int) { Parallel.setThreads(min(max(1, count), Parallel.maxThreads)) }

    /// The team's size now (results are bit-identical only for the same count).
    public static var count: Int { Parallel.threads }
}
