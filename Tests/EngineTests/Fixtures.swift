import Testing
@testable import Engine

/// Paths of the repository, the parity fixtures and the fetched model (tests read them with
/// the engine's own readers; no Foundation).
enum Fixtures {
    static let root: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    static var minilm: String { root + "/models/all-MiniLM-L6-v2" }
    static var bertFixture: String { root + "/Tests/EngineTests/Fixtures/bert-minilm.safetensors" }

    static func integers(_ file: SafeTensors, _ name: String) throws -> [Int32] {
        try file.integers(name).map { Int32($0) }
    }

    /// The largest absolute difference.
    static func maxDifference(_ a: some Collection<Float>, _ b: [Float]) -> Float {
        precondition(a.count == b.count, "maxDifference: \(a.count) against \(b.count)")
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// ‖ours − theirs‖ / ‖theirs‖ for a tensor of `shape` at `pointer`; a zero reference fails.
    static func relativeError(_ pointer: UnsafeMutablePointer<Float>, _ shape: [Int], _ theirs: [Float]) throws -> Double {
        let ours = UnsafeBufferPointer(start: pointer, count: shape.reduce(1, *))
        let difference = zip(ours, theirs).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        let norm = theirs.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        try #require(ours.count == theirs.count && norm > 0)
        return difference / norm
    }
}
