import HTTP
import Inference
import JSON
import Models
import Platform
import Tokenizers

extension CompletionRoutes {
    /// `POST /predict` for a language model, in text-generation-inference's shape:
    /// `{"model", "inputs": str, "parameters": {"max_new_tokens", "do_sample", "temperature",
    /// "top_k", "top_p", "repetition_penalty", "seed", "stop", "return_full_text"}}` →
    /// `{"generated_text", "details": {"finish_reason", "generated_tokens", "seed"}}`. As in TGI,
    /// decoding is greedy unless `do_sample` or a sampling parameter is set.
    /// `tuned`: the fine-tune `model` names, when the caller has already found it.
    func predict(_ body: JSONObject, _ context: RequestContext, tuned: FineTunedModel? = nil) throws -> HTTPResponse {
        guard let name = body["model"]?.string else { throw HTTPError.badRequest("model is required", param: "model", code: "missing_parameter") }
        guard let inputs = body["inputs"]?.string, !inputs.isEmpty else {
            throw HTTPError.badRequest("inputs must be a non-empty string (the prompt)", param: "inputs")
        }
        let (settings, fullText) = try Self.generationSettings(body["parameters"] ?? .null)
        return try withModel(name, tenant: context.tenant, known: tuned) { model in
            let ids = model.tokenizer.encodeIDs(inputs, addSpecialTokens: true).map(Int32.init)
            guard !ids.isEmpty else { throw HTTPError.badRequest("The prompt is empty once tokenized", param: "inputs") }
            guard ids.count + settings.maxTokens <= model.contextLength else {
                throw HTTPError.badRequest("The prompt (\(ids.count) tokens) and max_new_tokens (\(settings.maxTokens)) exceed the context of \(model.contextLength) tokens",
                                           param: "parameters.max_new_tokens", code: "context_length_exceeded")
            }
            let result = try model.generate(prompt: ids, maxTokens: settings.maxTokens, sampler: settings.sampler, stop: settings.stop,
                                            cancelled: context.clientGone) { _ in true }
            let sampled = settings.sampler.temperature > 0
            return .json(["generated_text": .string(fullText ? inputs + result.text : result.text),
                          "details": ["finish_reason": .string(result.finish.tgi), "generated_tokens": .int(Int64(result.tokens)),
                                      "seed": sampled ? .int(Int64(bitPattern: settings.sampler.seed)) : .null]])
        }
    }

    /// The TGI `parameters`, checked; each error names `parameters.<name>`.
    static func generationSettings(_ value: JSONValue) throws(HTTPError) -> (Settings, returnFullText: Bool) {
        guard value.isNull || value.object != nil else { throw HTTPError.badRequest("parameters must be an object", param: "parameters") }
        let known: Set<String> = ["max_new_tokens", "do_sample", "temperature", "top_k", "top_p", "repetition_penalty", "seed", "stop",
                                  "return_full_text", "details"]
        if let unknown = value.object?.keys.sorted().first(where: { !known.contains($0) && value[$0] != .null }) {
            throw HTTPError.badRequest("parameters.\(unknown) is not supported", param: "parameters.\(unknown)")
        }
        // The OpenAI checks, on the TGI names.
        var openAI: JSONObject = ["model": "-", "max_tokens": value["max_new_tokens"] ?? 20]
        for name in ["temperature", "top_k", "top_p", "repetition_penalty", "seed", "stop"] { openAI[name] = value[name] }
        var settings: Settings
        do { settings = try Self.settings(openAI, chat: false) } catch {
            let name = error.param == "max_tokens" ? "max_new_tokens" : error.param ?? ""
            throw HTTPError.badRequest(error.message.replacing("max_tokens", with: "max_new_tokens"), param: "parameters.\(name)")
        }
        for name in ["do_sample", "return_full_text"] where value[name] != nil && value[name] != .null && value[name]?.bool == nil {
            throw HTTPError.badRequest("parameters.\(name) must be a boolean", param: "parameters.\(name)")
        }
        if value["temperature"]?.double == 0 {
            throw HTTPError.badRequest("parameters.temperature must be strictly positive (omit it for greedy decoding)", param: "parameters.temperature")
        }
        let warped = value["temperature"]?.double.map { $0 != 1 } == true || value["top_k"]?.int != nil || value["top_p"]?.double.map { $0 < 1 } == true
        if !(value["do_sample"]?.bool ?? false) && !warped { settings.sampler.temperature = 0 }
        return (settings, value["return_full_text"]?.bool ?? false)
    }
}
