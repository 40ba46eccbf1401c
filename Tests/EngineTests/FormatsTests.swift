import JSON
import Platform
import Tensor
import Testing
@testable import Engine

@Suite struct FormatsTests {
    static func temporary(_ name: String) -> String { "/tmp/anneal-engine-test-\(getpidValue())-\(name)" }
    static func getpidValue() -> Int { Int(MonotonicClock.nanoseconds % 1_000_000_007) }

    @Test func roundTrip() throws {
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        writer.add("a.weight", floats: [1, -2.5, 3, 4, 5, 6], shape: [2, 3])
        writer.add("ids", integers: [7, -8], shape: [2])
        let path = Self.temporary("roundtrip.safetensors")
        defer { Files.remove(path) }
        try writer.write(to: path)
        let file = try SafeTensors(path: path)
        #expect(file.entries.map(\.name) == ["a.weight", "ids"])
        #expect(file["a.weight"]?.shape == [2, 3])
        #expect(try file.floats("a.weight") == [1, -2.5, 3, 4, 5, 6])
        #expect(try file.integers("ids") == [7, -8])
        #expect(file.metadata["format"] == "pt")
        #expect(throws: CheckpointError.missingKey("nope")) { try file.floats("nope") }
    }

    /// F16 and BF16 are converted to Float; a header that points outside the file is refused.
    /// A header whose shape's element count overflows is a bad file, not a trap (found reading
    /// the code while writing fuzz/targets/SafeTensorsFuzz.swift).
    @Test func overflowingShapeIsAnError() throws {
        let header = Array(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}}"#.utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes += $0 }
        bytes += header
        bytes.withUnsafeBytes { raw in
            #expect(throws: CheckpointError.self) { try SafeTensors.Header(raw, path: "test") }
        }
    }

    /// The writer keeps references, not copies: a borrowed tensor is read when the file is
    /// written, a computed one is filled then, and the file goes out in pieces of at most 1 MiB
    /// that add up to `byteCount` and read back as written.
    @Test func streamsWithoutCopying() throws {
        final class Owner { var floats = [Float](repeating: 0, count: 300_000) }  // 1.2 MB: two pieces
        let owner = Owner()
        var writer = SafeTensorsWriter(metadata: ["format": "pt"], keeping: owner)
        owner.floats.withUnsafeBufferPointer { writer.add("big", borrowing: $0, shape: [600, 500]) }
        writer.add("small", floats: [1, 2], shape: [2])
        writer.add("ids", integers: [3], shape: [1])
        writer.add("transposed", shape: [3, 2]) { out in for i in 0..<6 { out[i] = Float(i * 10) } }
        owner.floats.withUnsafeMutableBufferPointer { $0[299_999] = 7 }  // after add: the file must see it
        var pieces: [Int] = [], whole: [UInt8] = []
        try writer.write { piece in
            pieces.append(piece.count)
            whole += piece
        }
        #expect(pieces.allSatisfy { $0 <= 1 << 20 })
        #expect(whole.count == writer.byteCount && whole == writer.bytes())
        #expect(try writer.file(named: "w.safetensors").bytes() == whole)
        let path = Self.temporary("streamed.safetensors")
        defer { Files.remove(path) }
        try writer.write(to: path)
        #expect(Files.read(path) == whole)
        let file = try SafeTensors(path: path)
        #expect(try file.floats("big").last == 7)
        #expect(try file.floats("transposed") == [0, 10, 20, 30, 40, 50])
        #expect(try file.integers("ids") == [3])
        #expect(try file.floats("small") == [1, 2])
    }

    @Test func halfPrecisionAndBadFiles() throws {
        let header = #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}"#
        var bytes: [UInt8] = []
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: header.utf8.count >> (8 * i))) }
        bytes += Array(header.utf8)
        bytes += [0x00, 0x3C, 0x00, 0xC0, 0x80, 0x3F, 0x00, 0x3F]  // F16 1, -2; BF16 1, 0.5
        let path = Self.temporary("half.safetensors")
        defer { Files.remove(path) }
        try Files.write(path, bytes)
        let file = try SafeTensors(path: path)
        #expect(try file.floats("h") == [1, -2])
        #expect(try file.floats("b") == [1, 0.5])

        try Files.write(path, Array(bytes.dropLast(2)))
        #expect(throws: CheckpointError.self) { try SafeTensors(path: path) }
        #expect(throws: CheckpointError.self) { try SafeTensors(path: Self.temporary("missing")) }
    }

    @Test func strictLoading() throws {
        let model = TinyBert.make()
        let path = Self.temporary("tiny.safetensors"), other = Self.temporary("tiny-bad.safetensors")
        defer { Files.remove(path); Files.remove(other) }
        try BertCheckpoint.save(model, to: path)
        let file = try SafeTensors(path: path)
        #expect(file["bert.encoder.layer.1.attention.self.value.weight"]?.shape == [8, 8])
        #expect(file["classifier.weight"]?.shape == [3, 8])

        let copy = Bert(config: TinyBert.config, maxB: 1, maxT: 4, trainable: false)
        #expect(try BertCheckpoint.load(copy, from: file))
        #expect(copy.params.floats == model.params.floats)

        // Rewrite the file without one key, with an extra key, and with a wrong shape.
        func rewrite(skip: String? = nil, extra: String? = nil, reshape: String? = nil) throws -> SafeTensors {
            var writer = SafeTensorsWriter()
            for entry in file.entries where entry.name != skip {
                let shape = entry.name == reshape ? [entry.count] : entry.shape
                writer.add(entry.name, floats: try file.floats(entry.name), shape: shape)
            }
            if let extra { writer.add(extra, floats: [0], shape: [1]) }
            try writer.write(to: other)
            return try SafeTensors(path: other)
        }
        let key = "bert.encoder.layer.0.output.dense.weight"
        #expect(throws: CheckpointError.missingKey("encoder.layer.0.output.dense.weight")) {
            try BertCheckpoint.load(copy, from: try rewrite(skip: key))
        }
        #expect(throws: CheckpointError.unexpectedKey("cls.predictions.bias")) {
            try BertCheckpoint.load(copy, from: try rewrite(extra: "cls.predictions.bias"))
        }
        #expect(throws: CheckpointError.wrongShape(key: key, expected: [8, 16], found: [128])) {
            try BertCheckpoint.load(copy, from: try rewrite(reshape: key))
        }
        // A base encoder (no classifier) loads, leaving the head as initialised, unless required.
        let base = try rewrite(skip: "classifier.bias")
        #expect(throws: CheckpointError.missingKey("classifier.bias")) { try BertCheckpoint.load(copy, from: base, headOptional: false) }
        #expect(CheckpointError.wrongShape(key: "k", expected: [2], found: [3]).description == "k has shape [3], expected [2]")
    }

    @Test func config() throws {
        let json = try JSONValue(parsing: #"""
        {"model_type": "bert", "vocab_size": 30522, "hidden_size": 384, "num_hidden_layers": 6,
         "num_attention_heads": 12, "intermediate_size": 1536, "max_position_embeddings": 512,
         "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu",
         "id2label": {"1": "fresh", "0": "rotten"}}
        """#)
        let config = try BertConfig.parse(json: json)
        #expect(config.hiddenSize == 384 && config.numHeads == 12 && config.layerNormEps == 1e-12)
        #expect(config.labels == ["rotten", "fresh"])
        #expect(config.hiddenDropout == 0.1 && config.initializerRange == 0.02)
        #expect(BertParameters.count(config) == 22_713_216 + 2 * 384 + 2)

        var bad = json.object!
        bad["hidden_size"] = 100
        #expect(throws: CheckpointError.invalidConfig(path: "config.json", reason: "hidden_size must be a multiple of num_attention_heads")) {
            try BertConfig.parse(json: .object(bad))
        }
        bad = json.object!
        bad["hidden_act"] = "relu"
        #expect(throws: CheckpointError.self) { try BertConfig.parse(json: .object(bad)) }
    }

    @Test func batchChecks() throws {
        let model = TinyBert.make(B: 2, T: 4)
        #expect(throws: BatchError.tooLarge(B: 3, T: 5, maxB: 2, maxT: 4)) { try model.forward(TinyBert.batch()) }
        #expect(throws: BatchError.tokenOutOfRange(index: 1, id: 13, vocabulary: 13)) {
            try model.forward(BertBatch(B: 1, T: 2, ids: [1, 13]))
        }
        #expect(throws: BatchError.labelOutOfRange(index: 0, label: 3, labels: 3)) {
            try model.forward(BertBatch(B: 1, T: 2, ids: [1, 2], labels: [3]))
        }
        try model.forward(BertBatch(B: 1, T: 2, ids: [1, 2]))
        #expect(throws: BatchError.noLabels) { try model.backward() }
    }
}
