import GGUF
import Platform
import Synchronization
import Tokenizers

/// Loads a model's tokenizer from disk: a folder with `tokenizer.json`, or BERT's `vocab.txt`
/// (+ `tokenizer_config.json`), or GPT-2's `vocab.json` + `merges.txt`, or a GGUF file; or the
/// path of a GGUF file itself. Errors say which file and what is wrong.
public enum TokenizerLoader {
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public static func load(path: String) throws(LoadError) -> Tokenizer {
        if !Files.isDirectory(path) {
            guard path.hasSuffix(".gguf") else { throw LoadError(description: "\(path) is neither a folder nor a .gguf file") }
            return try gguf(path)
        }
        let folder = path.hasSuffix("/") ? String(path.dropLast()) : path
        func file(_ name: String) -> String { "\(folder)/\(name)" }
        do {
            if let json = Files.read(file("tokenizer.json")) {
                return try Tokenizer(json: json)
            }
            if let vocab = Files.read(file("vocab.txt")) {
                let options = try Files.read(file("tokenizer_config.json")).map { (bytes: [UInt8]) throws(TokenizerError) in try Tokenizer.bertOptions(config: bytes) }
                return try Tokenizer(bertVocab: vocab, lowercase: options?.lowercase ?? true, stripAccents: options?.stripAccents)
            }
            if let vocab = Files.read(file("vocab.json")), let merges = Files.read(file("merges.txt")) {
                return try Tokenizer(gpt2Vocab: vocab, merges: merges)
            }
        } catch {
            throw LoadError(description: "\(folder): \(error)")
        }
        if let name = Files.list(folder).sorted().first(where: { $0.hasSuffix(".gguf") }) { return try gguf(file(name)) }
        throw LoadError(description: "\(folder) has no tokenizer.json, vocab.txt, vocab.json + merges.txt or .gguf file")
    }

    /// The tokenizer in a GGUF file's header. The file is memory-mapped: only the pages of the
    /// header are read, not the weights after it.
    static func gguf(_ path: String) throws(LoadError) -> Tokenizer {
        let mapped: MappedFile
        do { mapped = try MappedFile(path: path) } catch { throw LoadError(description: "cannot read \(path): \(error)") }
        do {
            return try Tokenizer(gguf: try GGUFFile(bytes: mapped.bytes))
        } catch {
            throw LoadError(description: "\(path): \(error)")
        }
    }

    /// The tokenizer of a catalog model, from `path` (its folder by default: the tokenizer files,
    /// else the GGUF file in it).
    public static func load(_ base: ModelCatalog.BaseModel, path: String? = nil) throws(ModelLoadError) -> Tokenizer {
        do { return try load(path: path ?? base.path) } catch {
            throw ModelLoadError(.unsupported, model: base.name, "The tokenizer of \(base.name) cannot be loaded: \(error)")
        }
    }
}

/// Tokenizers of the base models, loaded on first use and kept.
public final class TokenizerCache: Sendable {
    private let loaded = Mutex<[String: Tokenizer]>([:])

    public init() {}

    public func tokenizer(for model: ModelCatalog.BaseModel) throws(TokenizerLoader.LoadError) -> Tokenizer {
        if let tokenizer = loaded.withLock({ $0[model.path] }) { return tokenizer }
        let tokenizer = try TokenizerLoader.load(path: model.path)
        loaded.withLock { $0[model.path] = tokenizer }
        return tokenizer
    }
}
