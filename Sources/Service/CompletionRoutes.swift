import Engine
import HTTP
import Inference
import JSON
import Platform
import Tokenizers

/// OpenAI's `POST /v1/completions` and `POST /v1/chat/completions` for Llama-family base models
/// (GGUF), with `stream: true` as server-sent events ending in `data: [DONE]`. Sampling: `temperature`
/// (0 is greedy), `top_p`, `seed`, `stop`, `max_tokens`, and `top_k` and `repetition_penalty`
/// beyond OpenAI's set.
struct CompletionRoutes {
    let catalog: ModelCatalog
    let models: ModelCache<LanguageModel>

    func add(to routes: inout RouteTable) {
        routes.add("POST", "/v1/completions") { request, _ in try complete(request, chat: false) }
        routes.add("POST", "/v1/chat/completions") { request, _ in try complete(request, chat: true) }
    }

    /// What a request asks for, checked.
    struct Settings {
        var model: String
        var maxTokens: Int
        var sampler: Sampler
        var stop: [String]
        var stream: Bool
        var includeUsage: Bool
    }

    func complete(_ request: HTTPRequest, chat: Bool) throws -> HTTPResponse {
        let body = try request.jsonObject()
        let settings = try Self.settings(body, chat: chat)
        guard let base = catalog.model(named: settings.model) else {
            throw HTTPError.notFound("The model \(settings.model) does not exist", param: "model")
        }
        return try models.withModel(base.name, load: {
            let model = try LanguageModel.load(base)
            return (model, model.bytes)
        }) { model in
            let prompt = try Self.prompt(body, chat: chat, model: model)
            let ids = model.tokenizer.encodeIDs(prompt, addSpecialTokens: !chat).map(Int32.init)
            guard !ids.isEmpty else { throw HTTPError.badRequest("The prompt is empty", param: chat ? "messages" : "prompt") }
            guard ids.count + settings.maxTokens <= model.model.maxT else {
                throw HTTPError.badRequest("The prompt (\(ids.count) tokens) and max_tokens (\(settings.maxTokens)) exceed the context of \(model.model.maxT) tokens",
                                           param: "max_tokens", code: "context_length_exceeded")
            }
            let id = Crypto.randomID(prefix: chat ? "chatcmpl-" : "cmpl-"), created = WallClock.unixSeconds
            let envelope: JSONObject = ["id": .string(id), "object": .string(chat ? "chat.completion" : "text_completion"),
                                        "created": .int(Int64(created)), "model": .string(settings.model)]
            @Sendable func usage(_ completion: Int) -> JSONValue {
                ["prompt_tokens": .int(Int64(ids.count)), "completion_tokens": .int(Int64(completion)),
                 "total_tokens": .int(Int64(ids.count + completion))]
            }
            if !settings.stream {
                let result = try model.generate(prompt: ids, maxTokens: settings.maxTokens, sampler: settings.sampler,
                                                stop: settings.stop) { _ in true }
                var object = envelope
                object["choices"] = [Self.choice(chat: chat, text: result.text, finish: result.finish, delta: false)]
                object["usage"] = usage(result.tokens)
                return .json(.object(object))
            }
            return Self.events(envelope: envelope, chat: chat) { send in
                if chat { try send([Self.chunk(delta: ["role": "assistant", "content": ""], finish: nil)], nil) }
                let result = try model.generate(prompt: ids, maxTokens: settings.maxTokens, sampler: settings.sampler, stop: settings.stop) { piece in
                    try send([chat ? Self.chunk(delta: ["content": .string(piece)], finish: nil)
                                   : ["text": .string(piece), "index": 0, "logprobs": .null, "finish_reason": .null]], nil)
                    return true
                }
                try send([Self.choice(chat: chat, text: "", finish: result.finish, delta: true)], nil)
                if settings.includeUsage { try send([], usage(result.tokens)) }
            }
        }
    }

    /// A server-sent-events response: each `send(choices, usage)` is one `data:` event with the
    /// envelope, then `data: [DONE]`.
    static func events(envelope: JSONObject, chat: Bool,
                       _ produce: @escaping @Sendable (_ send: ([JSONValue], JSONValue?) throws -> Void) throws -> Void) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set("Content-Type", "text/event-stream")
        headers.set("Cache-Control", "no-cache")
        var chunkEnvelope = envelope
        if chat { chunkEnvelope["object"] = "chat.completion.chunk" }
        let base = chunkEnvelope
        return HTTPResponse(headers: headers, stream: HTTPBodyStream { write in
            try produce { choices, usage in
                var event = base
                event["choices"] = .array(choices)
                if let usage { event["usage"] = usage }
                try write(Array("data: ".utf8) + JSONValue.object(event).encodedBytes() + Array("\n\n".utf8))
            }
            try write(Array("data: [DONE]\n\n".utf8))
        })
    }

    static func chunk(delta: JSONObject, finish: FinishReason?) -> JSONValue {
        ["index": 0, "delta": .object(delta), "logprobs": .null, "finish_reason": finish.map { .string($0.rawValue) } ?? .null]
    }

    static func choice(chat: Bool, text: String, finish: FinishReason, delta: Bool) -> JSONValue {
        if chat {
            if delta { return chunk(delta: [:], finish: finish) }
            return ["index": 0, "message": ["role": "assistant", "content": .string(text)], "logprobs": .null,
                    "finish_reason": .string(finish.rawValue)]
        }
        return ["text": .string(text), "index": 0, "logprobs": .null, "finish_reason": .string(finish.rawValue)]
    }
}
