import HTTPClient
import JSON
import Platform

/// The CLI's view of a running Anneal: `ANNEAL_URL` (or `--url`, default
/// `http://127.0.0.1:8080`) and `ANNEAL_API_KEY` (or `--api-key`). Any error answer ends the
/// command with the API's message.
struct APIClient {
    let base: String
    let key: String
    let http = HTTPClient(timeout: 60, maxBodyBytes: 1 << 30)

    /// From the flags (`--url`, `--api-key`) or the environment; exits when there is no key.
    init(_ flags: Flags) {
        var base = flags["url"] ?? Environment["ANNEAL_URL"] ?? "http://127.0.0.1:8080"
        while base.hasSuffix("/") { base.removeLast() }
        guard let key = flags["api-key"] ?? Environment["ANNEAL_API_KEY"], !key.isEmpty else {
            fail("set ANNEAL_API_KEY (or pass --api-key) to a key from `anneal keys create`")
        }
        (self.base, self.key) = (base, key)
    }

    static let flags: Set<String> = ["url", "api-key"]

    func url(_ path: String) -> ClientURL {
        do { return try ClientURL(base + path) } catch { fail("ANNEAL_URL: \(error)") }
    }

    /// The JSON answer of one request; a 4xx or 5xx ends the command with its message.
    @discardableResult
    func call(_ method: String, _ path: String, json: JSONValue? = nil, body: [UInt8]? = nil) -> JSONValue {
        var headers = [("Authorization", "Bearer \(key)"), ("Accept", "application/json")]
        if json != nil { headers.append(("Content-Type", "application/json")) }
        let response: HTTPClient.Response
        do {
            response = try http.send(method, url(path), headers: headers, body: body ?? json?.encodedBytes() ?? [])
        } catch {
            fail("\(base): \(error)")
        }
        let answer = (try? JSONValue(parsing: response.body)) ?? .null
        guard (200...299).contains(response.status) else {
            let message = answer["error"]?["message"]?.string ?? String(decoding: response.body.prefix(300), as: UTF8.self)
            let param = answer["error"]?["param"]?.string.map { " (\($0))" } ?? ""
            fail("\(method) \(path): \(response.status): \(message)\(param)")
        }
        return answer
    }

    /// Reads the server-sent events of `path`, handing each `(event, id, data)` to `take`
    /// until it returns false or the stream ends. Returns the last event id seen.
    func events(_ path: String, lastEventID: String?, _ take: (String, String?, JSONValue) -> Bool) throws -> (lastID: String?, stopped: Bool) {
        var headers = [("Authorization", "Bearer \(key)"), ("Accept", "text/event-stream")]
        if let lastEventID { headers.append(("Last-Event-ID", lastEventID)) }
        var pending: [UInt8] = [], lastID = lastEventID, stopped = false
        let streaming = HTTPClient(timeout: 60, maxBodyBytes: 1 << 20)  // the server writes at least every 15 s
        struct Stop: Error {}
        do {
            try streaming.stream("GET", url(path), headers: headers, onHead: { head in
                guard head.status == 200 else { fail("GET \(path): \(head.status)") }
            }, onBody: { chunk in
                pending += chunk
                while let end = Self.blockEnd(pending) {
                    let block = String(decoding: pending[..<end], as: UTF8.self)
                    pending.removeSubrange(..<(end + 2))
                    var event = "message", id: String?, data = ""
                    for line in block.split(separator: "\n") {
                        if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                        if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
                        if line.hasPrefix("data: ") { data += line.dropFirst(6) }
                    }
                    guard !data.isEmpty else { continue }  // a keep-alive comment
                    if let id { lastID = id }
                    if !take(event, id, (try? JSONValue(parsing: Array(data.utf8))) ?? .null) { stopped = true; throw Stop() }
                }
            })
        } catch is Stop {}
        return (lastID, stopped)
    }

    private static func blockEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        for i in 0..<(bytes.count - 1) where bytes[i] == 10 && bytes[i + 1] == 10 { return i }
        return nil
    }
}
