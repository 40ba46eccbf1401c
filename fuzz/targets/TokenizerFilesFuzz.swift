// libFuzzer target: loading tokenizers from files, built by fuzz/run against the JSON, GGUF and
// Tokenizers modules. The first byte picks the format: even a tokenizer.json document, odd a GGUF
// file (its tokenizer metadata); the rest is the file.
//
// Invariants (a violation traps, which libFuzzer reports as a crash):
// - a file loads or throws; a loaded tokenizer encodes and decodes a sample with ids inside its vocabulary.
import GGUF
import Tokenizers

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizerFiles(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let tokenizer: Tokenizer?
    if data[0] % 2 == 0 {
        tokenizer = try? Tokenizer(json: bytes)
    } else {
        tokenizer = (try? GGUFFile(bytes: bytes)).flatMap { try? Tokenizer(gguf: $0) }
    }
    guard let tokenizer else { return 0 }
    let sample = "Hello, w\u{F6}rld! 12 \u{4E2D} \u{1F600}"
    let encoding = tokenizer.encode(sample, pair: sample)
    for id in encoding.ids where id < 0 || id >= tokenizer.vocabularySize {
        fatalError("invariant broken: id \(id) outside the vocabulary of \(tokenizer.vocabularySize)")
    }
    _ = tokenizer.decode(encoding.ids)
    return 0
}
