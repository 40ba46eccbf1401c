import Inference
import Platform
import Synchronization
import Testing
import TestSupport

@Suite("Request batching and the model cache")
struct InferenceTests {
    @Test("Concurrent requests share batches, each gets its own output")
    func batching() throws {
        let sizes = Mutex<[Int]>([])
        let batcher = Batcher<Int, Int>(maxBatch: 8, window: 0.05, threads: 1) { inputs in
            sizes.withLock { $0.append(inputs.count) }
            return inputs.map { $0 * 10 }
        }
        defer { batcher.stop() }
        let outputs = Mutex<[Int: Int]>([:])
        concurrently(16) { i in
            let output = try? batcher.submit(i)
            outputs.withLock { $0[i] = output }
        }
        #expect(outputs.withLock { $0 } == Dictionary(uniqueKeysWithValues: (0..<16).map { ($0, $0 * 10) }))
        let batches = sizes.withLock { $0 }
        #expect(batches.reduce(0, +) == 16 && batches.allSatisfy { $0 <= 8 })
        #expect(batches.count < 16, "some requests were batched together: \(batches)")
    }

    @Test("A failing batch fails each of its requests; a lone request waits at most the window")
    func failures() throws {
        struct Broken: Error {}
        let batcher = Batcher<Int, Int>(maxBatch: 4, window: 0.02, threads: 2) { inputs in
            if inputs.contains(13) { throw Broken() }
            return inputs
        }
        defer { batcher.stop() }
        #expect(throws: Broken.self) { try batcher.submit(13) }
        let started = MonotonicClock.now
        #expect(try batcher.submit(5) == 5)
        #expect(MonotonicClock.now - started < 1)
        batcher.stop()
        #expect(throws: BatcherStopped.self) { try batcher.submit(1) }
    }

    final class Model: Sendable {
        let name: String
        init(_ name: String) { self.name = name }
    }

    @Test("The cache loads once, evicts least recently used, and never evicts a model in use")
    func cache() throws {
        let cache = ModelCache<Model>(capacityBytes: 100)
        let loads = Mutex<[String]>([])
        func load(_ key: String, _ bytes: Int) -> () throws -> (Model, bytes: Int) {
            { loads.withLock { $0.append(key) }; return (Model(key), bytes) }
        }
        #expect(try cache.withModel("a", load: load("a", 40)) { $0.name } == "a")
        #expect(try cache.withModel("b", load: load("b", 40)) { $0.name } == "b")
        #expect(try cache.withModel("a", load: load("a", 40)) { $0.name } == "a", "cached")
        #expect(loads.withLock { $0 } == ["a", "b"])
        _ = try cache.withModel("c", load: load("c", 40)) { _ in 0 }  // over 100: b is the least recently used
        #expect(cache.resident.map(\.key) == ["a", "c"])
        try cache.withModel("a", load: load("a", 40)) { _ in
            _ = try cache.withModel("d", load: load("d", 90)) { _ in 0 }
            #expect(cache.resident.map(\.key).contains("a"), "a is in use")
        }
        #expect(cache.resident.reduce(0) { $0 + $1.bytes } <= 100 || cache.resident.count == 1)
    }

    @Test("Concurrent first uses of one model load it once")
    func singleLoad() throws {
        let cache = ModelCache<Model>(capacityBytes: 1 << 20)
        let loads = Atomic<Int>(0)
        concurrently(8) { _ in
            _ = try? cache.withModel("m", load: {
                loads.add(1, ordering: .relaxed)
                sleep(seconds: 0.05)
                return (Model("m"), 10)
            }) { $0.name }
        }
        #expect(loads.load(ordering: .relaxed) == 1)
    }
}
