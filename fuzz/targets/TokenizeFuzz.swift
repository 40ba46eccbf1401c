// libFuzzer target: encoding and decoding text with the real tokenizers, built by fuzz/run against
// the JSON, GGUF and Tokenizers modules. Needs scripts/fetch-models (MiniLM, GPT-2, SmolLM2).
//
// Input: the first byte's low two bits pick the tokenizer (0 MiniLM from tokenizer.json, 1 GPT-2,
// 2 SmolLM2 from GGUF, 3 the SentencePiece BPE GGUF of the fixtures) and its next bit the checks
// (pairs, or offsets and decoding: half the work per input, so twice the inputs a second); the
// rest is the text (UTF-8, invalid bytes replaced).
// Invariants (a violation traps, which libFuzzer reports as a crash):
// - every id is inside the vocabulary; special tokens add exactly what the post-processor says;
// - the offsets path gives the same ids, with ordered ranges inside the input;
// - byte-level BPE is lossless, decode(encode(text)) == text, when all 256 byte symbols are in the
//   vocabulary (GPT-2; SmolLM2 lacks some control bytes, which HF drops too).
import GGUF
import Glibc
import Tokenizers

func invariant(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(message())") }
}

func readFile(_ path: String) -> [UInt8] {
    guard let file = fopen(path, "rb") else { fatalError("fuzz: \(path) missing (run scripts/fetch-models)") }
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

/// MiniLM with its tokenizer.json truncation and padding (to 128).
nonisolated(unsafe) var minilmAsFiled: Tokenizer? = nil

let models = getenv("ANNEAL_MODELS").map { String(cString: $0) } ?? "models"
let tokenizers: [(Tokenizer, lossless: Bool)] = {
    do {
        var minilm = try Tokenizer(json: readFile("\(models)/all-MiniLM-L6-v2/tokenizer.json"))
        minilmAsFiled = minilm
        minilm.truncation = nil  // the invariants below are about the pipeline; truncation is checked apart
        minilm.padding = nil
        let gpt2 = try Tokenizer(gpt2Vocab: readFile("\(models)/gpt2-tokenizer/vocab.json"),
                                 merges: readFile("\(models)/gpt2-tokenizer/merges.txt"))
        let smol = try Tokenizer(gguf: GGUFFile(bytes: readFile("\(models)/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf")))
        let sentencePiece = try Tokenizer(gguf: GGUFFile(bytes: readFile("Tests/TokenizersTests/Fixtures/sentencepiece-bpe.gguf")))
        return [(minilm, false), (gpt2, hasAllBytes(gpt2)), (smol, hasAllBytes(smol)), (sentencePiece, false)]
    } catch {
        fatalError("fuzz: cannot load the tokenizers: \(error)")
    }
}()

/// Loads the tokenizers before the first input, so loading does not count against -timeout.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    _ = tokenizers.count
    _ = Normalization.nfkc([0xE9])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let mode = Int(data[0] & 3), pairs = data[0] & 4 != 0
    let (tokenizer, lossless) = tokenizers[mode]
    let text = String(decoding: bytes, as: UTF8.self)
    let plain = tokenizer.encode(text, addSpecialTokens: false)
    let special = tokenizer.encode(text, addSpecialTokens: true)
    for id in special.ids { invariant(id >= 0 && id < tokenizer.vocabularySize, "id \(id) out of range") }
    let added = tokenizer.postProcessor?.addedTokens(pair: false) ?? 0
    invariant(special.ids.count == plain.ids.count + added, "special tokens: \(special.ids.count) != \(plain.ids.count) + \(added)")
    if pairs {
        let pair = tokenizer.encode(text, pair: text, addSpecialTokens: true)
        for id in pair.ids { invariant(id >= 0 && id < tokenizer.vocabularySize, "id \(id) out of range") }
        invariant(pair.typeIDs.count == pair.ids.count, "type ids")
        if mode == 0, let filed = minilmAsFiled {
            let e = filed.encode(text, pair: text)
            invariant(e.ids.count == 128 && e.attentionMask.count == 128, "MiniLM pads and truncates to 128, got \(e.ids.count)")
        }
        return 0
    }
    let aligned = tokenizer.encodeWithOffsets(text, addSpecialTokens: true)
    invariant(aligned.ids == special.ids, "offsets path ids differ for \(text.debugDescription)")
    let scalarCount = text.unicodeScalars.count
    for r in aligned.offsets { invariant(r.lowerBound >= 0 && r.upperBound <= scalarCount, "offset \(r) outside 0..<\(scalarCount)") }
    let decoded = tokenizer.decode(special.ids, skipSpecialTokens: true)
    _ = tokenizer.decode(special.ids, skipSpecialTokens: false)
    if lossless && !tokenizer.addedTokens.contains(where: { text.utf8.count > 0 && contains(text, $0.content) }) {
        invariant(decoded.utf8.elementsEqual(text.utf8), "byte-level round trip: \(text.debugDescription) -> \(decoded.debugDescription)")
    }
    return 0
}

func hasAllBytes(_ tokenizer: Tokenizer) -> Bool {
    (0..<256).allSatisfy { byte in
        let scalar = Unicode.Scalar(ByteLevelAlphabet.scalar(UInt8(byte)))!
        return tokenizer.id(of: String(Character(scalar))) != nil
    }
}

func contains(_ text: String, _ token: String) -> Bool {
    let t = Array(text.utf8), p = Array(token.utf8)
    guard !p.isEmpty, t.count >= p.count else { return false }
    return (0...(t.count - p.count)).contains { t[$0..<($0 + p.count)].elementsEqual(p) }
}
