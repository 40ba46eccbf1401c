// libFuzzer target: the JSON parser and printer, built by fuzz/run against the JSON module.
//
// Invariants (a violation traps, which libFuzzer reports as a crash):
// - parsing ends in a value or an error whose offset is inside the input (or at its end);
// - nesting past the depth limit is an error, not a stack overflow;
// - a parsed value printed (compact and pretty) parses back to the same value;
// - JSON Lines splits the input into numbered lines that each parse or fail alike.
import JSON

func invariant(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(message())") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let value = try JSONValue(parsing: bytes, maxDepth: 32)
        for pretty in [false, true] {
            let printed = value.encodedBytes(pretty: pretty)
            let again: JSONValue
            do { again = try JSONValue(parsing: printed, maxDepth: 32) } catch {
                fatalError("invariant broken: printed JSON does not parse: \(error)")
            }
            invariant(again == value, "round trip changed the value (pretty \(pretty))")
        }
    } catch {
        invariant(error.offset >= 0 && error.offset <= bytes.count, "error offset \(error.offset) outside 0...\(bytes.count)")
    }
    var previous = 0
    for (number, line) in JSONLines.lines(bytes) {
        invariant(number > previous, "line numbers go backwards")
        previous = number
        _ = try? JSONValue(parsing: line)
    }
    return 0
}
