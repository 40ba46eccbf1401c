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
        // The default system message sits in a Jinja string literal, its line break written
        // either as a real newline (GGUF files) or as the escape \n (tokenizer_config.json).
        guard jinja.contains("!= 'system'") else { return }
        for (opening, escaped) in [("'<|im_start|>system\n", false), ("'<|im_start|>system\\n", true)] {
            guard let start = jinja.firstRange(of: opening) else { continue }
            let rest = jinja[start.upperBound...]
            guard let end = rest.firstRange(of: "<|im_end|>") else { return nil }
            let text = String(rest[..<end.lowerBound])
            defaultSystem = escaped ? text.replacing("\\n", with: "\n") : text
            return
        }
    }

    /// The prompt for `messages` (`[{"role", "content"}]`), ending with the assistant's turn.
    public func render(_ messages: [(role: String, content: String)], addGenerationPrompt: Bool = true) -> String {
        segments(messages.map { ($0.role, $0.content, false) }).map(\.0).joined() + (addGenerationPrompt ? "<|im_start|>assistant\n" : "")
    }

    /// The rendered conversation in pieces, each with whether training takes loss on it: an
    /// assistant turn's content and its closing `<|im_end|>` when `loss` is set for it; headers,
    /// other turns and the default system message never. Each piece starts at a special token
    /// or a line break, so tokenizing the pieces one by one gives the ids of the whole text.
    public func segments(_ turns: [(role: String, content: String, loss: Bool)]) -> [(String, Bool)] {
        var pieces: [(String, Bool)] = []
        if let defaultSystem, turns.first?.role != "system" {
            pieces.append(("<|im_start|>system\n\(defaultSystem)<|im_end|>\n", false))
        }
        for turn in turns {
            pieces.append(("<|im_start|>\(turn.role)\n", false))
            pieces.append(("\(turn.content)<|im_end|>", turn.loss))
            pieces.append(("\n", false))
        }
        return pieces
    }
}
