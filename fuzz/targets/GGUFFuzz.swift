// libFuzzer target: GGUF files (header, metadata, tensor infos, tensor data), built by fuzz/run
// against the GGUF module.
//
// Invariants (a violation traps, which libFuzzer reports as a crash):
// - a file parses or throws; reading each tensor it lists gives its element count of floats or throws.
import GGUF

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    guard let file = try? GGUFFile(bytes: raw) else { return 0 }
    for tensor in file.tensors {
        if let floats = try? file.floats(tensor, in: raw), floats.count != tensor.dimensions.reduce(1, { $0 * $1 }) {
            fatalError("invariant broken: tensor \(tensor.name) read \(floats.count) floats for dimensions \(tensor.dimensions)")
        }
    }
    return 0
}
