import JSON
import Platform

/// `anneal jobs create|list|get|follow|cancel` and `anneal files upload`, against a server.
enum JobsCommand {
    static func run(_ arguments: [String]) -> Never {
        guard let action = arguments.first else { fail(usage) }
        let rest = Array(arguments.dropFirst())
        switch action {
        case "create": create(rest)
        case "list":
            let flags = parse(rest, valued: APIClient.flags.union(["limit"]))
            let list = APIClient(flags).call("GET", "/v1/fine_tuning/jobs?limit=\(flags["limit"] ?? "20")")
            table(list["data"]?.array ?? [])
        case "get", "follow", "cancel", "pause", "resume":
            let flags = parse(rest, valued: APIClient.flags)
            guard flags.rest.count == 1, let job = flags.rest.first, job.hasPrefix("ftjob-") else { fail("usage: anneal jobs \(action) JOB_ID") }
            let client = APIClient(flags)
            if action == "follow" { var follow = Follow(client: client, job: job); follow.run() }
            let path = action == "get" ? "/v1/fine_tuning/jobs/\(job)" : "/v1/fine_tuning/jobs/\(job)/\(action)"
            print(client.call(action == "get" ? "GET" : "POST", path).encoded(pretty: true))
        default:
            fail("unknown jobs command \"\(action)\"; \(usage)")
        }
        Console.exit(0)
    }

    static let usage = "usage: anneal jobs create|list|get|follow|cancel|pause|resume"

    /// `--model M --training-file FILE [--validation-file FILE] [--suffix S] [--seed N] [--nodes N]
    /// [--hyperparameters JSON] [--follow | --dry-run]`; a FILE that is a local path is uploaded
    /// first. `--dry-run` prints the checks and the estimate and creates nothing.
    static func create(_ arguments: [String]) -> Never {
        let flags = parse(arguments, valued: APIClient.flags.union(["model", "training-file", "validation-file", "suffix", "seed", "nodes", "hyperparameters"]),
                          switches: ["follow", "dry-run"])
        guard flags.rest.isEmpty else { fail("jobs create: unexpected \(flags.rest.joined(separator: " "))") }
        guard let model = flags["model"], let training = flags["training-file"] else {
            fail("usage: anneal jobs create --model MODEL --training-file FILE_ID_OR_PATH [--validation-file …] [--suffix S] [--seed N] [--nodes N] [--hyperparameters JSON] [--follow | --dry-run]")
        }
        let client = APIClient(flags)
        var body: JSONObject = ["model": .string(model), "training_file": .string(fileID(training, client))]
        if let validation = flags["validation-file"] { body["validation_file"] = .string(fileID(validation, client)) }
        if let suffix = flags["suffix"] { body["suffix"] = .string(suffix) }
        if let nodes = flags["nodes"] {
            guard let value = Int64(nodes) else { fail("jobs create: --nodes must be an integer") }
            body["nodes"] = .int(value)
        }
        if let seed = flags["seed"] {
            guard let value = Int64(seed) else { fail("jobs create: --seed must be an integer") }
            body["seed"] = .int(value)
        }
        if let text = flags["hyperparameters"] {
            guard let value = try? JSONValue(parsing: Array(text.utf8)), value.object != nil else { fail("jobs create: --hyperparameters must be a JSON object") }
            body["method"] = ["type": "supervised", "supervised": ["hyperparameters": value]]
        }
        if flags.has("dry-run") {
            body["dry_run"] = true
            let report = client.call("POST", "/v1/fine_tuning/jobs", json: .object(body))
            print(report.encoded(pretty: true))
            if let estimate = report["estimate"], let seconds = estimate["duration_seconds"]?.double {
                let memory = (estimate["peak_memory_bytes"]?.int ?? 0) >> 20
                Console.error("estimate: \(Follow.duration(Int(seconds.rounded()))) for \(estimate["total_steps"]?.int ?? 0) steps on \(estimate["threads"]?.int ?? 0) threads, about \(memory) MiB more memory\n")
            }
            Console.exit(report["valid"] == true ? 0 : 1)
        }
        let job = client.call("POST", "/v1/fine_tuning/jobs", json: .object(body))
        guard let id = job["id"]?.string else { fail("jobs create: the answer has no id") }
        print(id)
        if flags.has("follow") { var follow = Follow(client: client, job: id); follow.run() }
        Console.exit(0)
    }

    /// `file-…` as is; anything else is a path, uploaded for fine-tuning.
    static func fileID(_ value: String, _ client: APIClient) -> String {
        if value.hasPrefix("file-") && !Files.exists(value) { return value }
        return upload(value, client)["id"]?.string ?? ""
    }

    static func upload(_ path: String, _ client: APIClient) -> JSONValue {
        guard let bytes = Files.read(path) else { fail("cannot read \(path)") }
        let name = path.split(separator: "/").last.map(String.init) ?? "upload.jsonl"
        return client.call("POST", "/v1/files?purpose=fine-tune&filename=\(name.percentEncoded)", body: bytes)
    }

    /// `anneal files upload PATH`: prints the file object (id, examples, report).
    static func files(_ arguments: [String]) -> Never {
        guard arguments.first == "upload" else { fail("usage: anneal files upload PATH") }
        let flags = parse(Array(arguments.dropFirst()), valued: APIClient.flags)
        guard flags.rest.count == 1 else { fail("usage: anneal files upload PATH") }
        print(upload(flags.rest[0], APIClient(flags)).encoded(pretty: true))
        Console.exit(0)
    }

    static func table(_ jobs: [JSONValue]) {
        var rows = [["ID", "STATUS", "MODEL", "PROGRESS", "FINE-TUNED MODEL"]]
        for job in jobs {
            let percent = job["progress"]?["percent"]?.double.map { "\(Follow.short($0))%" } ?? "-"
            rows.append([job["id"]?.string ?? "", job["status"]?.string ?? "", job["model"]?.string ?? "", percent,
                         job["fine_tuned_model"]?.string ?? "-"])
        }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  "))
        }
    }
}

extension String {
    /// For a query value: everything but unreserved characters as %XX.
    var percentEncoded: String {
        var out = ""
        for byte in utf8 {
            if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || "-._~".utf8.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }

    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
