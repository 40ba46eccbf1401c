import HTTP
import Inference
import JSON
import Platform
import Tokenizers

extension CompletionRoutes {
    /// `POST /v1/completions` with `echo: true` and `max_tokens: 0`: scores the prompt instead of
    /// continuing it, as OpenAI's legacy completions do. The choice's text is the prompt; with
    /// `logprobs: k` (0 to 20) its `logprobs` object gives each token, its log-probability after
    /// the tokens before it (null for the first) and the k likeliest tokens there, and each
    /// token's character offset. A fine-tune's log-probabilities come through its adapter.
    func score(_ body: JSONObject, _ context: RequestContext) throws -> HTTPResponse {
        guard let name = body["model"]?.string, !name.isEmpty else {
            throw HTTPError.badRequest("model is required", param: "model", code: "missing_parameter")
        }
        guard body["max_tokens"]?.int == 0 else {
            throw HTTPError.badRequest("echo scores the prompt: set max_tokens to 0 (echo with generation is not supported)", param: "max_tokens")
        }
        if body["stream"]?.bool == true { throw HTTPError.badRequest("echo does not stream", param: "stream") }
        var top: Int?
        if let value = body["logprobs"], value != .null {
            guard let k = value.int, (0...20).contains(k) else { throw HTTPError.badRequest("logprobs must be an integer from 0 to 20", param: "logprobs") }
            top = k
        }
        return try withModel(name, tenant: context.tenant) { model in
            let prompt = try Self.prompt(body, chat: false, model: model)
            let ids = model.tokenizer.encodeIDs(prompt, addSpecialTokens: true).map(Int32.init)
            guard !ids.isEmpty else { throw HTTPError.badRequest("The prompt is empty", param: "prompt") }
            guard ids.count <= model.contextLength else {
                throw HTTPError.badRequest("The prompt (\(ids.count) tokens) exceeds the context of \(model.contextLength) tokens",
                                           param: "prompt", code: "context_length_exceeded")
            }
            var choice: JSONObject = ["text": .string(prompt), "index": 0, "logprobs": .null, "finish_reason": "length"]
            if let top { choice["logprobs"] = Self.logprobs(ids, top: top, model: model) }
            return .json(["id": .string(Crypto.randomID(prefix: "cmpl-")), "object": "text_completion",
                          "created": .int(Int64(WallClock.unixSeconds)), "model": .string(name), "choices": [.object(choice)],
                          "usage": ["prompt_tokens": .int(Int64(ids.count)), "completion_tokens": 0, "total_tokens": .int(Int64(ids.count))]])
        }
    }

    /// OpenAI's `logprobs` object for `ids`: each token's text and character offset in the
    /// prompt (special tokens such as a BOS take none), its log-probability (null for the first)
    /// and the `top` likeliest tokens there.
    static func logprobs(_ ids: [Int32], top: Int, model: ServedModel) -> JSONValue {
        var tokens: [JSONValue] = [], tokenLogprobs: [JSONValue] = [.null], tops: [JSONValue] = [.null], offsets: [JSONValue] = []
        var offset = 0
        for id in ids {
            tokens.append(.string(model.tokenizer.decode([Int(id)], skipSpecialTokens: false)))
            offsets.append(.int(Int64(offset)))
            offset += model.tokenizer.decode([Int(id)], skipSpecialTokens: true).count
        }
        for score in model.score(ids, top: top) {
            tokenLogprobs.append(.double(score.logprob))
            var best = JSONObject()
            for (id, logprob) in score.top {
                // Tokens that decode alike (stray bytes) share a key: the likeliest keeps it.
                let key = model.tokenizer.decode([id], skipSpecialTokens: false)
                if best[key] == nil { best[key] = .double(logprob) }
            }
            tops.append(.object(best))
        }
        return ["tokens": .array(tokens), "token_logprobs": .array(tokenLogprobs), "top_logprobs": .array(tops), "text_offset": .array(offsets)]
    }
}
