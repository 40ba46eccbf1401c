import HTTP
import Inference
import JSON
import Models
import Platform
import Store
import Tokenizers

/// OpenAI's `POST /v1/completions` and `POST /v1/chat/completions` for language models (GGUF
/// Llama, Hugging Face Llama and GPT-2 folders) and their fine-tunes, with `stream: true` as server-sent events ending in `data: [DONE]`. Sampling: `temperature`
/// (0 is greedy), `top_p`, `seed`, `stop`, `max_tokens`, and `top_k` and `repetition_penalty`
/// beyond OpenAI's set. `echo` with `max_tokens: 0` scores a prompt (`logprobs`).
struct CompletionRoutes {
    let pool: ConnectionPool
    let catalog: ModelCatalog
    let models: LanguageModels

    func add(to routes: inout RouteTable, limit: ConcurrencyLimit) {
        routes.add("POST", "/v1/completions", RouteOptions(limit: limit)) { request, context in try complete(request, chat: false, context) }
        routes.add("POST", "/v1/chat/completions", RouteOptions(limit: limit)) { request, context in try complete(request, chat: true, context) }
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

    func complete(_ request: HTTPRequest, chat: Bool, _ context: RequestContext) throws -> HTTPResponse {
        let body = try request.jsonObject()
        if !chat, body["echo"]?.bool == true { return try score(body, context) }
        let settings = try Self.settings(body, chat: chat)
        return try withModel(settings.model, tenant: context.tenant) { model in
            try respond(body, chat: chat, settings: settings, model: model, context: context)
        }
    }

    /// Runs `body` with the model `name` resolves to: a base language model, a tenant's LoRA
    /// fine-tune with its adapter over the base's one resident copy, or a tenant's full
    /// fine-tune (each loaded on first use). `known`: the fine-tune, when already found.
    func withModel<T>(_ name: String, tenant: String, known: FineTunedModel? = nil, _ body: (ServedModel) throws -> T) throws -> T {
        let (base, tuned) = try resolve(name, tenant: tenant, known: known)
        return try models.withModel(base, tuned: tuned, pool: pool, body)
    }

    /// The base model of `name`, and the tenant's fine-tune when `name` is one.
    func resolve(_ name: String, tenant: String, known: FineTunedModel? = nil) throws -> (ModelCatalog.BaseModel, FineTunedModel?) {
        if let base = catalog.model(named: name) { return (base, nil) }
        let tuned = try known ?? FineTunedModel.find(name, tenant: tenant, pool: pool, catalog: catalog)
        try tuned.requireLanguageModel()
        return (tuned.base, tuned)
    }

    func respond(_ body: JSONObject, chat: Bool, settings: Settings, model: ServedModel,
                 context: RequestContext) throws -> HTTPResponse {
        let clientGone = context.clientGone
        let prompt = try Self.prompt(body, chat: chat, model: model)
        let ids = model.tokenizer.encodeIDs(prompt, addSpecialTokens: !chat).map(Int32.init)
        guard !ids.isEmpty else { throw HTTPError.badRequest("The prompt is empty", param: chat ? "messages" : "prompt") }
        guard ids.count + settings.maxTokens <= model.contextLength else {
            throw HTTPError.badRequest("The prompt (\(ids.count) tokens) and max_tokens (\(settings.maxTokens)) exceed the context of \(model.contextLength) tokens",
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
                                            stop: settings.stop, cancelled: clientGone) { _ in true }
            var object = envelope
            object["choices"] = [Self.choice(chat: chat, text: result.text, finish: result.finish, delta: false)]
            object["usage"] = usage(result.tokens)
            return .json(.object(object))
        }
        // The stream runs after this handler returns: it holds the model (and adapter) in the caches
        // again while it generates, so they are not evicted under it.
        return Self.events(envelope: envelope, chat: chat) { [self] send in
            try withModel(settings.model, tenant: context.tenant) { model in
                if chat { try send([Self.chunk(delta: ["role": "assistant", "content": ""], finish: nil)], nil) }
                var failure: (any Error)?  // a write that failed: the client is gone
                let result = try model.generate(prompt: ids, maxTokens: settings.maxTokens, sampler: settings.sampler, stop: settings.stop,
                                                cancelled: context.clientUnreachable) { piece in
                    do {
                        try send([chat ? Self.chunk(delta: ["content": .string(piece)], finish: nil)
                                       : ["text": .string(piece), "index": 0, "logprobs": .null, "finish_reason": .null]], nil)
                        return true
                    } catch {
                        failure = error
                        return false
                    }
                }
                if let failure { throw failure }
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
        ["index": 0, "delta": .object(delta), "logprobs": .null, "finish_reason": finish.map { .string($0.openAI) } ?? .null]
    }

    static func choice(chat: Bool, text: String, finish: FinishReason, delta: Bool) -> JSONValue {
        if chat {
            if delta { return chunk(delta: [:], finish: finish) }
            return ["index": 0, "message": ["role": "assistant", "content": .string(text)], "logprobs": .null,
                    "finish_reason": .string(finish.openAI)]
        }
        return ["text": .string(text), "index": 0, "logprobs": .null, "finish_reason": .string(finish.openAI)]
    }
}
