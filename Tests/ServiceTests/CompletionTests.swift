import Engine
import GGUF
import HTTP
import Inference
import JSON
import Models
import Platform
import Service
import Testing
import TestSupport
import Tokenizers

/// `/v1/completions` and `/v1/chat/completions` on SmolLM2-135M-Instruct (GGUF), against the
/// greedy tokens transformers produced (Tests/EngineTests/Fixtures/smollm2.safetensors).
@Suite("Completions", .serialized)
struct CompletionTests {
    static let root = repositoryRoot
    static let folder = root + "/models/SmolLM2-135M-Instruct"
    static let model = "SmolLM2-135M-Instruct"

    let api: APIHarness
    let fixture: SafeTensors
    let tokenizer: Tokenizer

    init() throws {
        #expect(Files.exists(Self.folder), "run scripts/fetch-models")
        api = try APIHarness(linkedModels: [Self.model: Self.folder])
        fixture = try SafeTensors(path: Self.root + "/Tests/EngineTests/Fixtures/smollm2.safetensors")
        tokenizer = try TokenizerLoader.load(path: Self.folder)
    }

    func expected(_ prompt: Int, _ count: Int) throws -> String {
        tokenizer.decode(try fixture.integers("greedy/\(prompt)/tokens").prefix(count).map(Int.init))
    }

    @Test("greedy text completion matches transformers; usage counts tokens; stop strings cut")
    func completion() throws {
        let reply = try api.call("POST", "/v1/completions", json: [
            "model": .string(Self.model), "prompt": "The capital of France is", "max_tokens": 12, "temperature": 0,
        ], timeout: 120)
        #expect(reply.status == 200, "\(reply.json)")
        #expect(reply.json["object"] == "text_completion" && reply.json["choices"]?[0]?["finish_reason"] == "length")
        #expect(reply.json["choices"]?[0]?["text"]?.string == (try expected(0, 12)))
        let promptTokens = tokenizer.encodeIDs("The capital of France is", addSpecialTokens: true).count
        #expect(reply.json["usage"]?["prompt_tokens"] == .int(Int64(promptTokens)) && reply.json["usage"]?["completion_tokens"] == 12)

        let full = try expected(0, 12)
        let cut = String(full.dropFirst(2))
        let stop = try #require(cut.first(where: { $0 != " " }).map(String.init), "no character to stop at in \(full)")
        let stopped = try api.call("POST", "/v1/completions", json: [
            "model": .string(Self.model), "prompt": "The capital of France is", "max_tokens": 12, "temperature": 0, "stop": .string(stop),
        ], timeout: 120)
        let text = stopped.json["choices"]?[0]?["text"]?.string ?? ""
        #expect(stopped.json["choices"]?[0]?["finish_reason"] == "stop" && !text.contains(stop) && full.hasPrefix(text), "\(stopped.json)")
    }

    @Test("chat completion renders ChatML as transformers does and streams the same text")
    func chat() throws {
        let question = "What is the boiling point of water?"
        // The model's own template (from the GGUF), with its default system message.
        let bytes = try #require(Files.read(Self.folder + "/SmolLM2-135M-Instruct.Q4_1.gguf"))
        let jinja = try #require(try GGUFFile(bytes: bytes)["tokenizer.chat_template"]?.string)
        let template = try #require(ChatTemplate(jinja: jinja))
        #expect(template.defaultSystem == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        let rendered = template.render([("user", question)])
        #expect(tokenizer.encodeIDs(rendered, addSpecialTokens: false).map(Int64.init) == (try fixture.integers("greedy/4/prompt")))

        let body: JSONObject = ["model": .string(Self.model), "messages": [["role": "user", "content": .string(question)]],
                                "max_tokens": 10, "temperature": 0]
        let reply = try api.call("POST", "/v1/chat/completions", json: .object(body), timeout: 120)
        #expect(reply.status == 200, "\(reply.json)")
        let text = try #require(reply.json["choices"]?[0]?["message"]?["content"]?.string)
        #expect(text == (try expected(4, 10)))
        #expect(reply.json["choices"]?[0]?["message"]?["role"] == "assistant")

        var streamed = body
        streamed["stream"] = true
        streamed["stream_options"] = ["include_usage": true]
        let events = try api.call("POST", "/v1/chat/completions", json: .object(streamed), timeout: 120)
        #expect(events.status == 200 && events.headers["Content-Type"] == "text/event-stream")
        let lines = String(decoding: events.body, as: UTF8.self).split(separator: "\n\n").map(String.init)
        #expect(lines.last == "data: [DONE]")
        let chunks = try lines.dropLast().map { try JSONValue(parsing: Array($0.dropFirst(6).utf8)) }
        #expect(chunks.first?["choices"]?[0]?["delta"]?["role"] == "assistant")
        #expect(chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.string }.joined() == text)
        #expect(chunks.contains { $0["choices"]?[0]?["finish_reason"] == "length" })
        #expect(chunks.last?["usage"]?["completion_tokens"] == 10)
        #expect(reply.json["usage"]?["prompt_tokens"] == .int(Int64(try fixture.integers("greedy/4/prompt").count)))
    }

    @Test("bad requests name their parameter")
    func errors() throws {
        func status(_ body: JSONObject) throws -> (Int, JSONValue) {
            var request: JSONObject = ["model": .string(Self.model), "prompt": "Hi"]
            for (key, value) in body { request[key] = value }
            let reply = try api.call("POST", "/v1/completions", json: .object(request), timeout: 120)
            return (reply.status, reply.json["error"]?["param"] ?? .null)
        }
        #expect(try status(["temperature": 3]) == (400, "temperature"))
        #expect(try status(["n": 2]) == (400, "n"))
        #expect(try status(["max_tokens": 0]) == (400, "max_tokens"))
        #expect(try status(["stop": []]) == (400, "stop"))
        #expect(try status(["model": "nope"]) == (404, "model"))
        #expect(try status(["model": "mini-bert"]) == (400, "model"))
        #expect(try status(["prompt": 5]) == (400, "prompt"))
    }

    /// A client that shuts down its sending side after a streamed request still reads the whole
    /// stream: only a client that cannot be reached stops a streamed generation.
    @Test("a half-closed client gets its whole streamed completion")
    func halfClosedStream() throws {
        let client = try TestClient(port: api.port, timeout: 120)
        let body = JSONValue.object(["model": .string(Self.model), "prompt": "Once upon a time", "max_tokens": 12, "temperature": 0,
                                     "stream": true]).encodedBytes()
        try client.send("POST /v1/completions HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer \(api.keyA)\r\n"
                        + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n")
        try client.send(body)
        client.socket.shutdownWrite()
        let response = try #require(try client.readResponse())
        #expect(response.status == 200)
        #expect(response.text.contains(#""finish_reason":"length""#) && response.text.hasSuffix("data: [DONE]\n\n"), "\(response.text)")
    }

    /// A client that hangs up mid-generation stops the computation: the generation ends as
    /// `cancelled` long before `max_tokens`, streamed or not.
    @Test("a generation stops computing when the client disconnects", arguments: [false, true])
    func cancelOnDisconnect(stream: Bool) throws {
        // Loaded first, so the two seconds below are spent generating.
        let warm = try api.call("POST", "/v1/completions", json: ["model": .string(Self.model), "prompt": "Hi", "max_tokens": 1], timeout: 120)
        #expect(warm.status == 200)
        let before = api.application.generation.finished(.cancelled), tokensBefore = api.application.generation.tokens
        var client: TestClient? = try TestClient(port: api.port, timeout: 30)
        let body = JSONValue.object(["model": .string(Self.model), "prompt": "Once upon a time", "max_tokens": 1000, "temperature": 0,
                                     "stream": .bool(stream)]).encodedBytes()
        try client!.send("POST /v1/completions HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer \(api.keyA)\r\n"
                        + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n")
        try client!.send(body)
        sleep(seconds: 2)
        client = nil  // hangs up
        let deadline = MonotonicClock.now + 20
        while api.application.generation.finished(.cancelled) == before && MonotonicClock.now < deadline { sleep(seconds: 0.1) }
        #expect(api.application.generation.finished(.cancelled) == before + 1)
        let generated = api.application.generation.tokens - tokensBefore
        #expect(generated > 0 && generated < 500, "\(generated) tokens before stopping")
        sleep(seconds: 1)
        #expect(api.application.generation.tokens - tokensBefore == generated, "nothing is generated after the cancellation")
    }
}
