import GGUF
import Testing
import Tokenizers

@Suite struct GGUFTests {
    /// A small GGUF v3 file written by hand: every value type, an array and two tensors.
    static func sample() -> [UInt8] {
        var b: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); b += Array(s.utf8) }
        func key(_ k: String, _ type: UInt32) { str(k); u32(type) }
        b += Array("GGUF".utf8); u32(3); u64(2); u64(13)
        key("u8", 0); b.append(200)
        key("i8", 1); b.append(0xFF)
        key("u16", 2); b += [0x34, 0x12]
        key("i16", 3); b += [0xFE, 0xFF]
        key("u32", 4); u32(70000)
        key("i32", 5); u32(UInt32(bitPattern: -5))
        key("f32", 6); u32(Float(1.5).bitPattern)
        key("bool", 7); b.append(1)
        key("general.name", 8); str("tiny")
        key("list", 9); u32(8); u64(2); str("a b"); str("\u{120}x")
        key("u64", 10); u64(1 << 40)
        key("i64", 11); u64(UInt64(bitPattern: -7))
        key("f64", 12); u64(Double(0.25).bitPattern)
        str("token_embd.weight"); u32(2); u64(8); u64(4); u32(0); u64(0)
        str("output_norm.weight"); u32(1); u64(8); u32(1); u64(128)
        return b
    }

    @Test func parsesEveryValueType() throws {
        let file = try GGUFFile(bytes: Self.sample())
        #expect(file.version == 3)
        #expect(file.keys.count == 13)
        #expect(file["u8"] == .uint8(200) && file["i8"] == .int8(-1) && file["u16"] == .uint16(0x1234))
        #expect(file["i16"] == .int16(-2) && file["u32"]?.int == 70000 && file["i32"]?.int == -5)
        #expect(file["f32"] == .float32(1.5) && file["bool"]?.bool == true && file["general.name"]?.string == "tiny")
        #expect(file["list"] == .array(.string, [.string("a b"), .string("\u{120}x")]))
        #expect(file["u64"]?.int == 1 << 40 && file["i64"]?.int == -7 && file["f64"]?.double == 0.25)
        #expect(file.tensors == [
            GGUFTensorInfo(name: "token_embd.weight", dimensions: [8, 4], type: 0, offset: 0),
            GGUFTensorInfo(name: "output_norm.weight", dimensions: [8], type: 1, offset: 128),
        ])
        #expect(file.dataOffset % 32 == 0 && file.dataOffset >= Self.sample().count)
    }

    @Test func rejectsBadInput() {
        let sample = Self.sample()
        #expect(throws: GGUFError.self) { try GGUFFile(bytes: Array("GGUG".utf8) + sample.dropFirst(4)) }
        for cut in stride(from: 0, to: sample.count, by: 7) {
            #expect(throws: GGUFError.self) { try GGUFFile(bytes: Array(sample.prefix(cut))) }
        }
        var badType = sample
        badType[4] = 9  // version 9
        #expect(throws: GGUFError(offset: 4, reason: "unsupported version 9")) { try GGUFFile(bytes: badType) }
    }

    @Test func smolLM2Header() throws {
        let file = try GGUFFile(bytes: try TestFiles.read("models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf"))
        #expect(file["general.architecture"]?.string == "llama")
        #expect(file["tokenizer.ggml.pre"]?.string == "smollm")
        #expect(file["tokenizer.ggml.tokens"]?.array?.count == 49152)
        #expect(file.tensors.count > 0)
        #expect(file.tensors.contains { $0.name == "token_embd.weight" })
    }
}

/// Tokenizers built from synthetic GGUF metadata.
@Suite struct GGUFTokenizerTests {
    /// A GGUF with a byte-level vocabulary: "a", "b", "Ġ", "ab", "Ġab", "<s>" (control), "<x>" (user-defined).
    static func file(model: String = "gpt2", pre: String, addBOS: Bool = false, merges: Bool = true) -> [UInt8] {
        var b: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); b += Array(s.utf8) }
        func strings(_ key: String, _ items: [String]) { str(key); u32(9); u32(8); u64(UInt64(items.count)); items.forEach(str) }
        let tokens = ["a", "b", "\u{120}", "ab", "\u{120}ab", "<s>", "<x>", "!", "1", "!ab"]
        b += Array("GGUF".utf8); u32(3); u64(0); u64(merges ? 8 : 7)
        str("tokenizer.ggml.model"); u32(8); str(model)
        str("tokenizer.ggml.pre"); u32(8); str(pre)
        strings("tokenizer.ggml.tokens", tokens)
        if merges { strings("tokenizer.ggml.merges", ["a b", "\u{120} ab", "! ab"]) }
        str("tokenizer.ggml.token_type"); u32(9); u32(5); u64(UInt64(tokens.count))
        for type: UInt32 in [1, 1, 1, 1, 1, 3, 4, 1, 1, 1] { u32(type) }
        str("tokenizer.ggml.bos_token_id"); u32(4); u32(5)
        str("tokenizer.ggml.eos_token_id"); u32(4); u32(5)
        str("tokenizer.ggml.add_bos_token"); u32(7); b.append(addBOS ? 1 : 0)
        return b
    }

    @Test func gpt2Split() throws {
        let t = try Tokenizer(gguf: GGUFFile(bytes: Self.file(pre: "smollm", addBOS: true)))
        #expect(t.encodeIDs("ab ab<s>a<x>") == [5, 3, 4, 5, 0, 6])
        #expect(t.encodeIDs("ab", addSpecialTokens: false) == [3])
        #expect(t.decode([5, 3, 4, 6]) == "ab ab<x>")
        #expect(t.decode([5, 3], skipSpecialTokens: false) == "<s>ab")
    }

    @Test func llama3Split() throws {
        let t = try Tokenizer(gguf: GGUFFile(bytes: Self.file(pre: "llama-bpe")))
        // Llama 3 keeps "!ab" together ([^\r\n\p{L}\p{N}]?\p{L}+); GPT-2 splits "!" from "ab".
        #expect(t.encodeIDs("!ab 1111") == [9, 2, 8, 8, 8, 8])
        let qwen2 = try Tokenizer(gguf: GGUFFile(bytes: Self.file(pre: "qwen2")))
        #expect(qwen2.encodeIDs("!ab") == [9])
        #expect(try Tokenizer(gguf: GGUFFile(bytes: Self.file(pre: "gpt2"))).encodeIDs("!ab") == [7, 3])
    }

    @Test func unsupported() throws {
        #expect(throws: TokenizerError.unsupported(path: "tokenizer.ggml.pre", type: "gpt-4o")) {
            try Tokenizer(gguf: GGUFFile(bytes: Self.file(pre: "gpt-4o")))
        }
        #expect(throws: TokenizerError.malformed(path: "tokenizer.ggml.scores", reason: "needed, one per token, when the file has no merges")) {
            try Tokenizer(gguf: GGUFFile(bytes: Self.file(model: "llama", pre: "default", merges: false)))
        }
        #expect(throws: TokenizerError.unsupported(path: "tokenizer.ggml.model", type: "t5")) {
            try Tokenizer(gguf: GGUFFile(bytes: Self.file(model: "t5", pre: "default")))
        }
    }
}
