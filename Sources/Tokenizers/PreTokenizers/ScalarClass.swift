/// The classes the GPT-2 and Llama 3 split scanners tell apart: `\p{L}`, `\p{N}`, `\s`, and
/// everything else, with an ASCII fast path.
enum ScalarClass {
    case letter, number, space, other

    @inline(__always)
    static func of(_ c: UInt32) -> ScalarClass {
        if c < 0x80 {
            if (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A { return .letter }
            if c >= 0x30 && c <= 0x39 { return .number }
            if c == 0x20 || (c >= 0x09 && c <= 0x0D) { return .space }
            return .other
        }
        if UnicodeProperties.isWhiteSpace(c) { return .space }
        let category = UnicodeProperties.category(c)
        if category.isLetter { return .letter }
        if category.isNumber { return .number }
        return .other
    }
}
