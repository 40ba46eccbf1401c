import Glibc
import JSON
import Jobs
import Platform
import Service
import Store
import TestSupport

/// A migrated database, two tenants with keys, a models folder with one BERT-family base model,
/// and the whole API serving on a free port (no workers unless asked).
final class APIHarness: @unchecked Sendable {
    let application: Application
    let port: Int
    let keyA: String
    let keyB: String
    let drop: () -> Void
    let modelsFolder: String

    /// `linkedModels` (name → folder) are symlinked into the models folder, for tests that need
    /// a real checkpoint.
    init(databaseURL: String? = nil, drop: @escaping () -> Void = {}, trainers: TrainerRegistry? = nil,
         linkedModels: [String: String] = [:], configure: (inout Configuration) -> Void = { _ in }) throws {
        let url: String
        if let databaseURL {
            url = databaseURL
            self.drop = drop
        } else {
            (url, self.drop) = try TestDatabase.create()
        }
        var template = Array("/tmp/anneal-models-XXXXXX".utf8CString)
        modelsFolder = String(cString: mkdtemp(&template)!)
        mkdir(modelsFolder + "/mini-bert", 0o755)
        let config = fopen(modelsFolder + "/mini-bert/config.json", "w")
        fputs(#"{"model_type": "bert", "hidden_size": 384}"#, config)
        fclose(config)
        for (name, folder) in linkedModels { symlink(folder, modelsFolder + "/" + name) }

        let connection = try Connection(url: url)
        _ = try Migrator.migrate(connection, embeddedMigrations)
        keyA = try APIKeys.create(tenant: "tenant-a", connection: connection)
        keyB = try APIKeys.create(tenant: "tenant-b", connection: connection)
        var configuration = Configuration()
        configuration.databaseURL = url
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.workers = trainers == nil ? 0 : 1
        configuration.models = modelsFolder
        configuration.shutdownGrace = 2
        configure(&configuration)
        var workerSettings = WorkerPool.Configuration()
        workerSettings.heartbeatInterval = 0.2
        application = Application(configuration: configuration, trainers: trainers ?? TrainerRegistry(),
                                  workerConfiguration: trainers == nil ? nil : workerSettings)
        port = try application.start()
    }

    deinit {
        application.stop()
        _ = system("rm -rf '\(modelsFolder)'")
        drop()
    }

    /// A request as tenant A (or `key`), with a JSON body when given.
    func call(_ method: String, _ path: String, json: JSONValue? = nil, body: [UInt8]? = nil, key: String? = nil,
              headers: [(String, String)] = [], timeout: Double = 10) throws -> TestClient.Response {
        let client = try TestClient(port: port, timeout: timeout)
        var all = headers
        all.append(("Authorization", "Bearer \(key ?? keyA)"))
        if json != nil { all.append(("Content-Type", "application/json")) }
        return try client.request(method, path, headers: all, body: body ?? json?.encodedBytes() ?? [])
    }

    static let training = Array("""
        {"text": "A sharp, funny film.", "label": "fresh"}
        {"text": "Dull and overlong.", "label": "rotten"}

        """.utf8)

    /// Uploads `content` as a raw fine-tune file and returns its id.
    func upload(_ content: [UInt8] = APIHarness.training, key: String? = nil) throws -> String {
        let response = try call("POST", "/v1/files?purpose=fine-tune&filename=train.jsonl", body: content, key: key)
        guard response.status == 200, let id = response.json["id"]?.string else {
            throw TestSupportError("upload failed: \(response.status) \(response.text)")
        }
        return id
    }

    func createJob(file: String, extra: JSONObject = [:], key: String? = nil) throws -> TestClient.Response {
        var body: JSONObject = ["model": "mini-bert", "training_file": .string(file)]
        for (name, value) in extra { body[name] = value }
        return try call("POST", "/v1/fine_tuning/jobs", json: .object(body), key: key)
    }

    /// The job object once job `id` has ended (succeeded, failed or cancelled), or as it stands
    /// after `seconds`.
    func finished(job id: String, seconds: Double = 300) throws -> JSONValue {
        let deadline = MonotonicClock.now + seconds
        var job = JSONValue.null
        while MonotonicClock.now < deadline {
            job = try call("GET", "/v1/fine_tuning/jobs/\(id)").json
            if ["succeeded", "failed", "cancelled"].contains(job["status"]?.string ?? "") { break }
            sleep(seconds: 0.2)
        }
        return job
    }

    /// The files of a tar archive (ustar, as the model download writes it), in order.
    static func tarEntries(_ tar: [UInt8]) -> [(name: String, body: [UInt8])] {
        var entries: [(String, [UInt8])] = [], offset = 0
        while offset + 512 <= tar.count, tar[offset] != 0 {
            let name = String(decoding: tar[offset..<(offset + 100)].prefix { $0 != 0 }, as: UTF8.self)
            let size = Int(String(decoding: tar[(offset + 124)..<(offset + 135)], as: UTF8.self), radix: 8) ?? 0
            entries.append((name, Array(tar[(offset + 512)..<(offset + 512 + size)])))
            offset += 512 + (size + 511) / 512 * 512
        }
        return entries
    }
}
