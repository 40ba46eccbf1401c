/// The fourth stage of tokenizer.json: adds special tokens around one input or a pair.
public protocol PostProcessor: Sendable {
    func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding
    /// How many special tokens `process` adds (for truncation).
    func addedTokens(pair: Bool) -> Int
}

/// The post-processor types of tokenizer.json's `"post_processor"`, by their `"type"`.
public enum PostProcessorKind: String, Sendable {
    case template = "TemplateProcessing", bert = "BertProcessing", roberta = "RobertaProcessing"
    case byteLevel = "ByteLevel", sequence = "Sequence"
}

enum PostProcessorFactory {
    static func make(_ node: JSONNode) throws(TokenizerError) -> any PostProcessor {
        let type = try node.type()
        guard let kind = PostProcessorKind(rawValue: type) else { throw .unsupported(path: node.child("type"), type: type) }
        switch kind {
        case .template: return try TemplateProcessing(node)
        case .bert:
            return TemplateProcessing(cls: try pair(try node.required("cls")), sep: try pair(try node.required("sep")), roberta: false)
        case .roberta:
            return TemplateProcessing(cls: try pair(try node.required("cls")), sep: try pair(try node.required("sep")), roberta: true)
        case .byteLevel: return PassThroughProcessing()
        case .sequence:
            var stages: [any PostProcessor] = []
            for child in try node.required("processors").array() { stages.append(try make(child)) }
            return SequenceProcessing(stages: stages)
        }
    }

    /// `["[CLS]", 101]`
    static func pair(_ node: JSONNode) throws(TokenizerError) -> Int {
        let items = try node.array()
        guard items.count == 2 else { throw .malformed(path: node.path, reason: "expected [token, id]") }
        _ = try items[0].string()
        return try items[1].int()
    }
}

/// Adds nothing (the ByteLevel post-processor only trims offsets).
public struct PassThroughProcessing: PostProcessor {
    public func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding {
        var result = first
        if var second { second.setTypeID(1); result.append(second) }
        return result
    }
    public func addedTokens(pair: Bool) -> Int { 0 }
}

public struct SequenceProcessing: PostProcessor {
    public let stages: [any PostProcessor]
    public func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding {
        var result = first
        var second = second
        for stage in stages {
            result = stage.process(result, second, addSpecialTokens: addSpecialTokens)
            second = nil
        }
        return result
    }
    public func addedTokens(pair: Bool) -> Int { stages.reduce(0) { $0 + $1.addedTokens(pair: pair) } }
}
