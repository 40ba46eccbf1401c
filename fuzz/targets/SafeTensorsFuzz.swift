// libFuzzer target: safetensors headers (SafeTensors.Header), built by fuzz/run with the
// checkpoint-format files of Engine against the JSON and Platform modules.
//
// Invariants (a violation traps, which libFuzzer reports as a crash):
// - a file parses or throws; every tensor of a parsed file lies inside it and holds exactly its
//   shape's elements of its dtype.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    guard let header = try? SafeTensors.Header(raw, path: "fuzz") else { return 0 }
    for entry in header.entries {
        let elements = entry.shape.reduce(1, *)
        if !(entry.bytes.lowerBound >= 0 && entry.bytes.upperBound <= size && entry.bytes.count == elements * entry.dtype.size) {
            fatalError("invariant broken: \(entry.name) at \(entry.bytes) for shape \(entry.shape) of \(entry.dtype) in \(size) bytes")
        }
    }
    return 0
}
