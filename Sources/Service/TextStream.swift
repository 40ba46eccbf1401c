import Tokenizers

/// The text of a generation as tokens arrive: ends at a stop token or a stop string, and hands
/// out pieces that are complete UTF-8 and cannot still grow into a stop string.
struct TextStream {
    let tokenizer: Tokenizer
    let stopIDs: Set<Int32>
    let stop: [String]
    /// The prompt and the tokens generated so far (the sampler's repetition penalty and draw
    /// index read it).
    var context: [Int32]
    var generated: [Int] = []
    var text = ""
    var sent = 0

    /// Takes the next token: the piece of text now ready (if any), and why the generation ends
    /// when it does (`tokens` counts the stop token too).
    mutating func accept(_ next: Int32) -> (piece: String?, finish: FinishReason?) {
        if stopIDs.contains(next) { return (flush(), .eos) }
        generated.append(Int(next))
        context.append(next)
        let decoded = tokenizer.decode(generated, skipSpecialTokens: true)
        // A replacement character at the end is an incomplete UTF-8 sequence: wait for more.
        if !decoded.hasSuffix("\u{FFFD}") { text = decoded }
        if let hit = stop.compactMap({ text.firstRange(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            text = String(text[..<hit.lowerBound])
            return (flush(), .stopSequence)
        }
        // Hold back a tail that could still grow into a stop string.
        let hold = stop.map { s in (1..<max(1, s.count)).reversed().first { text.hasSuffix(String(s.prefix($0))) } ?? 0 }.max() ?? 0
        let ready = text.count - hold
        guard ready > sent else { return (nil, nil) }
        let piece = String(text.dropFirst(sent).prefix(ready - sent))
        sent = ready
        return (piece, nil)
    }

    /// What is left to send of the text.
    mutating func flush() -> String? {
        guard text.count > sent else { return nil }
        defer { sent = text.count }
        return String(text.dropFirst(sent))
    }

    /// Tokens generated, counting a stop token when `finish` is `eos`.
    func tokens(_ finish: FinishReason) -> Int { generated.count + (finish == .eos ? 1 : 0) }
}
