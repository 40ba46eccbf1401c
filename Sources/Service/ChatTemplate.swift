import JSON

/// Renders chat messages into a prompt for the template families Anneal can render exactly;
/// others are refused with a clear error rather than guessed. ChatML (`<|im_start|>role\n…
/// <|im_end|>\n`, SmolLM2, Qwen) is recognised in a model's Jinja template, including a
/// default system message the template adds when the conversation has none.
public struct ChatTemplate: Sendable, Equatable {
    public var defaultSystem: String?

    /// The family of `jinja` (a GGUF `tokenizer.chat_template` or `tokenizer_config.json`'s),
    /// nil when it is not one Anneal renders.
    public init?(jinja: String) {
        guard jinja.contains("<|im_start|>"), jinja.contains("<|im_end|>"), jinja.contains("message['content']") else { return nil }
        let opening = "'<|im_start|>system\\n"
        if jinja.contains("!= 'system'"), let start = jinja.firstRange(of: opening) {
            let rest = jinja[start.upperBound...]
            guard let end = rest.firstRange(of: "<|im_end|>") else { return nil }
            defaultSystem = String(rest[..<end.lowerBound])
        }
    }

    /// The prompt for `messages` (`[{"role", "content"}]`), ending with the assistant's turn.
    public func render(_ messages: [(role: String, content: String)], addGenerationPrompt: Bool = true) -> String {
        var text = ""
        if let defaultSystem, messages.first?.role != "system" {
            text += "<|im_start|>system\n\(defaultSystem)<|im_end|>\n"
        }
        for message in messages { text += "<|im_start|>\(message.role)\n\(message.content)<|im_end|>\n" }
        if addGenerationPrompt { text += "<|im_start|>assistant\n" }
        return text
    }
}
