import Platform

/// Loaded models, least recently used first out, bounded by their total size in bytes. A model
/// in use is never evicted; concurrent requests for a model that is loading wait for that one
/// load instead of loading it again.
public final class ModelCache<Model: Sendable>: Sendable {
    struct Entry {
        var model: Model?
        var bytes = 0
        var users = 0
        var lastUse = 0
        var loading = true
    }

    struct State {
        var entries: [String: Entry] = [:]
        var clock = 0
    }

    public let capacity: Int
    private let state = ConditionLock(State())

    public init(capacityBytes: Int) { capacity = capacityBytes }

    /// Runs `body` with the model for `key`, loading it with `load` (which returns the model and
    /// its size) on first use.
    public func withModel<T>(_ key: String, load: () throws -> (Model, bytes: Int), _ body: (Model) throws -> T) throws -> T {
        let model = try acquire(key, load: load)
        defer { release(key) }
        return try body(model)
    }

    /// Keys and sizes currently resident, for metrics and tests.
    public var resident: [(key: String, bytes: Int)] {
        state.withLock { state in state.entries.filter { $0.value.model != nil }.map { ($0.key, $0.value.bytes) }.sorted { $0.key < $1.key } }
    }

    private func acquire(_ key: String, load: () throws -> (Model, bytes: Int)) throws -> Model {
        let mustLoad = state.withLock(when: { $0.entries[key]?.loading != true }) { state, _ -> Bool in
            state.clock += 1
            if var entry = state.entries[key] {
                entry.users += 1
                entry.lastUse = state.clock
                state.entries[key] = entry
                return false
            }
            state.entries[key] = Entry(users: 1, lastUse: state.clock)
            return true
        }
        if !mustLoad { return state.withLock { $0.entries[key]!.model! } }
        do {
            let (model, bytes) = try load()
            state.withLock { state in
                state.entries[key]?.model = model
                state.entries[key]?.bytes = bytes
                state.entries[key]?.loading = false
                evict(&state)
            }
            state.broadcast()
            return model
        } catch {
            state.withLock { $0.entries[key] = nil }
            state.broadcast()
            throw error
        }
    }

    private func release(_ key: String) {
        state.withLock { state in
            state.entries[key]?.users -= 1
            evict(&state)
        }
    }

    /// Drops unused models, oldest use first, until the total fits.
    private func evict(_ state: inout State) {
        var total = state.entries.values.reduce(0) { $0 + $1.bytes }
        let candidates = state.entries.filter { $0.value.users == 0 && !$0.value.loading }.sorted { $0.value.lastUse < $1.value.lastUse }
        for (key, entry) in candidates where total > capacity {
            state.entries[key] = nil
            total -= entry.bytes
        }
    }
}
