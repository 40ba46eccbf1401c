import JSON

/// One line of a preference file, read: the prompt and the two answers, as messages or as text.
enum PreferenceRecord: Equatable {
    typealias Turn = (role: String, content: String)
    case messages(prompt: [Turn], chosen: [Turn], rejected: [Turn])
    case text(prompt: String, chosen: String, rejected: String)

    static func == (a: PreferenceRecord, b: PreferenceRecord) -> Bool {
        switch (a, b) {
        case let (.text(p, c, r), .text(q, d, s)): return (p, c, r) == (q, d, s)
        case let (.messages(p, c, r), .messages(q, d, s)):
            let same = { (x: [Turn], y: [Turn]) in x.count == y.count && zip(x, y).allSatisfy { $0 == $1 } }
            return same(p, q) && same(c, d) && same(r, s)
        default: return false
        }
    }

    /// OpenAI's `{input: {messages}, preferred_output, non_preferred_output}` or TRL's
    /// `{prompt?, chosen, rejected}`. Without a prompt, TRL's `extract_prompt`: the prompt is the
    /// answers' shared beginning (whole messages; for text, characters, a space before the first
    /// difference going to the answers).
    init(_ record: JSONValue) throws(DatasetProblem) {
        if let input = record["input"] {
            guard let messages = input["messages"], let good = record["preferred_output"], let bad = record["non_preferred_output"] else {
                throw DatasetProblem(line: 0, reason: "an OpenAI preference record needs input.messages, preferred_output and non_preferred_output")
            }
            self = .messages(prompt: try Self.turns(messages), chosen: try Self.turns(good), rejected: try Self.turns(bad))
            return
        }
        guard let chosen = record["chosen"], let rejected = record["rejected"] else {
            throw DatasetProblem(line: 0, reason: "a preference record is {\"input\",\"preferred_output\",\"non_preferred_output\"} or {\"prompt\",\"chosen\",\"rejected\"}")
        }
        if let good = chosen.string {
            guard let bad = rejected.string else { throw DatasetProblem(line: 0, reason: "\"chosen\" and \"rejected\" must both be strings or both messages") }
            if let prompt = record["prompt"] {
                guard let text = prompt.string else { throw DatasetProblem(line: 0, reason: "\"prompt\" must be a string like the answers") }
                self = .text(prompt: text, chosen: good, rejected: bad)
            } else {
                let (c, r) = (Array(good.unicodeScalars), Array(bad.unicodeScalars))
                let split = Self.extractedPrompt(c, r, same: ==) { $0 == " " }
                self = .text(prompt: Self.string(c[..<split]), chosen: Self.string(c[split...]), rejected: Self.string(r[split...]))
            }
            return
        }
        let (good, bad) = (try Self.turns(chosen), try Self.turns(rejected))
        if let prompt = record["prompt"] {
            self = .messages(prompt: try Self.turns(prompt), chosen: good, rejected: bad)
        } else {
            let split = Self.extractedPrompt(good, bad, same: { $0 == $1 }) { _ in false }
            self = .messages(prompt: Array(good[..<split]), chosen: Array(good[split...]), rejected: Array(bad[split...]))
        }
    }

    static func turns(_ value: JSONValue) throws(DatasetProblem) -> [Turn] {
        guard let list = value.array else { throw DatasetProblem(line: 0, reason: "expected a list of messages, found \(value.typeName)") }
        var turns: [Turn] = []
        for message in list {
            guard let role = message["role"]?.string, let content = message["content"]?.string else {
                throw DatasetProblem(line: 0, reason: "each message needs a string \"role\" and \"content\"")
            }
            turns.append((role, content))
        }
        return turns
    }

    /// Where TRL's `extract_prompt` splits two answers: at their first difference, one earlier
    /// when the item before it is a space; with no difference, one before the shorter's end.
    static func extractedPrompt<T>(_ a: [T], _ b: [T], same: (T, T) -> Bool, isSpace: (T) -> Bool) -> Int {
        let n = min(a.count, b.count)
        guard n > 0 else { return 0 }
        for index in 0..<n where !same(a[index], b[index]) {
            return index > 0 && isSpace(a[index - 1]) ? index - 1 : index
        }
        return n - 1
    }

    static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars)
        return String(text)
    }
}
