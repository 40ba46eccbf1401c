import HTTP
import Inference
import JSON
import Platform
import Tokenizers

extension CompletionRoutes {
    /// The request's settings; any value out of range, or an OpenAI option Anneal does not
    /// implement set to something other than its default, is a 400 naming it.
    static func settings(_ body: JSONObject, chat: Bool) throws(HTTPError) -> Settings {
        guard let model = body["model"]?.string, !model.isEmpty else {
            throw HTTPError.badRequest("model is required", param: "model", code: "missing_parameter")
        }
        func number(_ name: String, _ range: ClosedRange<Double>, _ fallback: Double) throws(HTTPError) -> Double {
            guard let value = body[name], value != .null else { return fallback }
            guard let x = value.double, range.contains(x) else {
                throw HTTPError.badRequest("\(name) must be a number from \(range.lowerBound) to \(range.upperBound)", param: name)
            }
            return x
        }
        func integer(_ name: String, _ range: ClosedRange<Int>) throws(HTTPError) -> Int? {
            guard let value = body[name], value != .null else { return nil }
            guard let x = value.int, range.contains(x) else {
                throw HTTPError.badRequest("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)", param: name)
            }
            return x
        }
        let newer = try integer("max_completion_tokens", 1...4096), older = try integer("max_tokens", 1...4096)
        let maxTokens = newer ?? older ?? (chat ? 256 : 16)
        let temperature = try number("temperature", 0...2, 1)
        let topP = try number("top_p", 0.000001...1, 1)
        let penalty = try number("repetition_penalty", 0.01...10, 1)
        let topK = try integer("top_k", 1...1_000_000)
        let chosen = try integer("seed", Int.min...Int.max)
        let seed = chosen.map { UInt64(bitPattern: Int64($0)) } ?? Crypto.randomBytes(8).reduce(0) { $0 << 8 | UInt64($1) }
        if let n = try integer("n", 1...128), n != 1 { throw HTTPError.badRequest("Only n = 1 is supported", param: "n") }
        for name in ["frequency_penalty", "presence_penalty"] where try number(name, -2...2, 0) != 0 {
            throw HTTPError.badRequest("\(name) is not supported; use repetition_penalty", param: name)
        }
        if let logprobs = body["logprobs"], logprobs != .null, logprobs != false {
            throw HTTPError.badRequest("logprobs is not supported", param: "logprobs")
        }
        var stop: [String] = []
        if let value = body["stop"], value != .null {
            if let one = value.string { stop = [one] } else if let list = value.array?.compactMap(\.string), list.count == value.array?.count { stop = list }
            guard !stop.isEmpty, stop.count <= 4, stop.allSatisfy({ !$0.isEmpty }) else {
                throw HTTPError.badRequest("stop must be a non-empty string or a list of 1 to 4 of them", param: "stop")
            }
        }
        guard body["stream"] == nil || body["stream"]?.bool != nil else { throw HTTPError.badRequest("stream must be a boolean", param: "stream") }
        return Settings(model: model, maxTokens: maxTokens,
                        sampler: Sampler(temperature: temperature, topK: topK, topP: topP, repetitionPenalty: penalty, seed: seed),
                        stop: stop, stream: body["stream"]?.bool ?? false,
                        includeUsage: body["stream_options"]?["include_usage"]?.bool ?? false)
    }

    /// The prompt text: `prompt` (a string, or a list of one), or `messages` rendered with the
    /// model's chat template.
    static func prompt(_ body: JSONObject, chat: Bool, model: ServedModel) throws(HTTPError) -> String {
        if !chat {
            if let text = body["prompt"]?.string { return text }
            if let list = body["prompt"]?.array, list.count == 1, let text = list[0].string { return text }
            throw HTTPError.badRequest("prompt must be a string (or a list of exactly one)", param: "prompt")
        }
        guard let list = body["messages"]?.array, !list.isEmpty else {
            throw HTTPError.badRequest("messages must be a non-empty list", param: "messages")
        }
        var messages: [(role: String, content: String)] = []
        for (i, item) in list.enumerated() {
            guard let role = item["role"]?.string, ["system", "developer", "user", "assistant"].contains(role) else {
                throw HTTPError.badRequest("messages[\(i)].role must be system, user or assistant", param: "messages[\(i)].role")
            }
            var content = item["content"]?.string
            if content == nil, let parts = item["content"]?.array {
                let texts = parts.compactMap { $0["type"] == "text" ? $0["text"]?.string : nil }
                if texts.count == parts.count { content = texts.joined() }
            }
            guard let content else {
                throw HTTPError.badRequest("messages[\(i)].content must be a string or a list of text parts", param: "messages[\(i)].content")
            }
            messages.append((role == "developer" ? "system" : role, content))
        }
        guard let template = model.template else {
            throw HTTPError.badRequest("The chat template of \(model.name) is not one Anneal renders (ChatML is); use /v1/completions",
                                       param: "model", code: "unsupported_chat_template")
        }
        return template.render(messages)
    }
}
