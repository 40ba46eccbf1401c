// Encodes the parity corpus with each tokenizer, single-threaded, and prints one JSON line per
// tokenizer: tokens/s, load time and the resident memory the loaded tokenizer added.
// Built by bench/tokenizers/run with swiftc (release), not part of the SwiftPM package.
import GGUF
import Glibc
import JSON
import Tokenizers

func readFile(_ path: String) -> [UInt8] {
    guard let file = fopen(path, "rb") else { fatalError("cannot open \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
    }
    return bytes
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Resident set size in bytes (/proc/self/statm, second field, in pages).
func residentBytes() -> Int {
    let text = String(decoding: readFile("/proc/self/statm"), as: UTF8.self)
    let fields = text.split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

@main struct Bench {
    static func main() throws {
        let args = CommandLine.arguments
        let root = args.count > 1 ? args[1] : "."
        let seconds = args.count > 2 ? Double(args[2]) ?? 2 : 2
        let corpus = try JSONValue(parsing: readFile("\(root)/Tests/TokenizersTests/Fixtures/corpus.json")).array!.map { $0.string! }
        let models = "\(root)/models"
        // Unicode tables are parsed once per process; do it before measuring memory.
        _ = Normalization.nfd([0xE9])
        let loaders: [(String, () throws -> Tokenizer)] = [
            ("minilm", { try Tokenizer(json: readFile("\(models)/all-MiniLM-L6-v2/tokenizer.json")) }),
            ("gpt2", { try Tokenizer(gpt2Vocab: readFile("\(models)/gpt2-tokenizer/vocab.json"), merges: readFile("\(models)/gpt2-tokenizer/merges.txt")) }),
            ("smollm2", {
                let file = try GGUFFile(bytes: readFile("\(models)/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf"))
                return try Tokenizer(gguf: file)
            }),
            ("sentencepiece", { try Tokenizer(gguf: GGUFFile(bytes: readFile("\(root)/Tests/TokenizersTests/Fixtures/sentencepiece-bpe.gguf"))) }),
        ]
        for (name, load) in loaders {
            let before = residentBytes()
            let start = now()
            var tokenizer = try load()
            tokenizer.truncation = nil  // as hf.py: the pipeline's own ids, no truncation or padding to 128
            tokenizer.padding = nil
            let loadSeconds = now() - start
            let memory = residentBytes() - before
            var tokens = 0
            var rounds = 0
            let began = now()
            while now() - began < seconds || rounds == 0 {
                for line in corpus { tokens += tokenizer.encodeIDs(line, addSpecialTokens: true).count }
                rounds += 1
            }
            let elapsed = now() - began
            print("{\"tokenizer\":\"\(name)\",\"tokens_per_s\":\(Int(Double(tokens) / elapsed)),\"rounds\":\(rounds),\"load_s\":\(loadSeconds),\"rss_added_mb\":\(memory / 1_000_000)}")
        }
    }
}
