import Tokenizers

/// The text of a generation as tokens arrive: ends at a stop token or a stop string, and hands
/// out pieces that are complete UTF-8 and cannot still grow into a stop string.
///
/// Decoding is incremental, as text-generation-inference does it: each token decodes together
/// with the tokens of the previous step (`prefixStart..<readStart`), and the text those give
/// alone is dropped, so the new text has the spacing a decode of everything would give (a
/// SentencePiece `▁` or a byte-level space) at a constant cost per token. Stop strings are
/// searched only in the text not yet sent, which is all they can start in: a tail that could
/// grow into one is held back.
struct TextStream {
    let tokenizer: Tokenizer
    let stopIDs: Set<Int32>
    /// The stop strings, as Unicode scalars.
    let stopScalars: [[Unicode.Scalar]]
    /// The prompt and the tokens generated so far (the sampler's repetition penalty and draw
    /// index read it).
    var context: [Int32]
    var generated: [Int] = []
    /// Text handed out so far, and text decoded but held back.
    private(set) var sent = ""
    private var unsent = ""
    private var prefixStart = 0, readStart = 0

    init(tokenizer: Tokenizer, stopIDs: Set<Int32>, stop: [String], context: [Int32]) {
        (self.tokenizer, self.stopIDs, self.context) = (tokenizer, stopIDs, context)
        stopScalars = stop.map { Array($0.unicodeScalars) }
    }

    /// All the text so far (the generation's result once it ends).
    var text: String { sent + unsent }

    /// Takes the next token: the piece of text now ready (if any), and why the generation ends
    /// when it does (`tokens` counts the stop token too).
    mutating func accept(_ next: Int32) -> (piece: String?, finish: FinishReason?) {
        if stopIDs.contains(next) { return (flush(), .eos) }
        generated.append(Int(next))
        context.append(next)
        // Counted in Unicode scalars, not characters: a token may start with a combining mark.
        let before = tokenizer.decode(Array(generated[prefixStart..<readStart]), skipSpecialTokens: true).unicodeScalars
        let decoded = tokenizer.decode(Array(generated[prefixStart...]), skipSpecialTokens: true).unicodeScalars
        // A replacement character at the end is an incomplete UTF-8 sequence: wait for more.
        guard decoded.count > before.count, decoded.last != "\u{FFFD}" else { return (nil, nil) }
        unsent.unicodeScalars.append(contentsOf: decoded.dropFirst(before.count))
        (prefixStart, readStart) = (readStart, generated.count)
        // Stop strings are matched, and held back, by Unicode scalars: a stop string of one
        // grapheme ("\r\n", an emoji with a skin tone) may arrive split over tokens.
        let scalars = Array(unsent.unicodeScalars)
        if let cut = stopScalars.compactMap({ Self.firstIndex(of: $0, in: scalars) }).min() {
            unsent = Self.string(scalars[..<cut])
            return (flush(), .stopSequence)
        }
        // Hold back a tail that could still grow into a stop string.
        let hold = stopScalars.map { s in (1..<max(1, s.count)).reversed().first { scalars.suffix($0).elementsEqual(s.prefix($0)) } ?? 0 }.max() ?? 0
        guard scalars.count > hold else { return (nil, nil) }
        let piece = Self.string(scalars.dropLast(hold))
        unsent = Self.string(scalars.suffix(hold))
        sent += piece
        return (piece, nil)
    }

    /// Where `needle` first starts in `haystack`, by scalars.
    static func firstIndex(of needle: [Unicode.Scalar], in haystack: [Unicode.Scalar]) -> Int? {
        guard !needle.isEmpty, needle.count <= haystack.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// What is left to send of the text.
    mutating func flush() -> String? {
        guard !unsent.isEmpty else { return nil }
        defer { (sent, unsent) = (sent + unsent, "") }
        return unsent
    }

    /// Tokens generated, counting a stop token when `finish` is `eos`.
    func tokens(_ finish: FinishReason) -> Int { generated.count + (finish == .eos ? 1 : 0) }
}
