import JSON
import Platform

/// The base models: each subfolder of `ANNEAL_MODELS` is a model named after it. Its
/// architecture comes from `config.json`'s `model_type` (HF format) or a GGUF file's presence.
public struct ModelCatalog: Sendable {
    public struct BaseModel: Sendable, Equatable {
        public var name: String
        public var path: String
        public var architecture: String
        public var created: Int

        /// A causal language model completions and LoRA jobs take: GGUF (Llama), llama or gpt2.
        public var isLanguageModel: Bool { ["gguf", "llama", "gpt2"].contains(architecture) }

        /// The folder's GGUF file (the first by name), nil for a Hugging Face folder.
        public var ggufFile: String? {
            Files.list(path).sorted().first { $0.hasSuffix(".gguf") }.map { path + "/" + $0 }
        }

        /// `config.json` of a Hugging Face folder, nil when it has none or it is not JSON.
        public var config: JSONValue? { Files.read(path + "/config.json").flatMap { try? JSONValue(parsing: $0) } }

        /// The SHA-256 (hex) of every file in the folder and its subfolders, by relative path,
        /// sorted: what a job trained from. Files are memory-mapped, not read into memory.
        public func fileHashes() throws -> [(path: String, sha256: String)] {
            var hashes: [(path: String, sha256: String)] = []
            func walk(_ relative: String) throws {
                for name in Files.list(path + relative) where !name.hasPrefix(".") {
                    let child = relative + "/" + name
                    if Files.isDirectory(path + child) {
                        if !Files.isSymbolicLink(path + child) { try walk(child) }  // a linked folder could loop
                        continue
                    }
                    let mapped = try MappedFile(path: path + child)
                    hashes.append((String(child.dropFirst()), Crypto.hex(Crypto.sha256(mapped.bytes))))
                }
            }
            try walk("")
            return hashes.sorted { $0.path < $1.path }
        }

        /// `max_position_embeddings` of its config (512 when unreadable), read with the catalog so
        /// a request does not read config.json again.
        public var maxPositions = 512
    }

    public let models: [BaseModel]

    public init(folder: String) {
        var found: [BaseModel] = []
        for name in Files.list(folder) where !name.hasPrefix(".") {
            let path = folder + "/" + name
            guard Files.isDirectory(path) else { continue }
            guard let architecture = ModelCatalog.architecture(of: path) else { continue }
            var model = BaseModel(name: name, path: path, architecture: architecture, created: Files.modificationTime(path))
            model.maxPositions = model.config?["max_position_embeddings"]?.int ?? 512
            found.append(model)
        }
        models = found
    }

    public func model(named name: String) -> BaseModel? { models.first { $0.name == name } }

    /// `model_type` from `config.json` (e.g. `bert`), `gguf` for a folder holding a GGUF file,
    /// nil for a folder that holds no model.
    static func architecture(of path: String) -> String? {
        if let bytes = Files.read(path + "/config.json"), let config = try? JSONValue(parsing: bytes) {
            return config["model_type"]?.string ?? "unknown"
        }
        if Files.list(path).contains(where: { $0.hasSuffix(".gguf") }) { return "gguf" }
        return nil
    }
}
