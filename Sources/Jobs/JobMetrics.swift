import JSON
import Store

/// A job's metrics series: training metrics every `logging_steps`, evaluation metrics at each
/// evaluation. Each record is also an OpenAI-shaped `metrics` event (`data.step`, ...).
public enum JobMetrics {
    public enum Kind: String, Sendable { case train, eval }

    /// Call inside a transaction: the row, its event and any webhook delivery go together.
    public static func record(_ connection: Connection, job: String, kind: Kind, step: Int, epoch: Double,
                              values: JSONObject) throws {
        // A resumed run repeats the steps after its checkpoint: the row is updated, not added, and
        // its event and webhook delivery are not repeated.
        let inserted = try connection.query("""
            INSERT INTO fine_tuning_job_metric (job_id, kind, step, epoch, metrics)
            VALUES (\(job), \(kind.rawValue), \(step), \(epoch), \(JSONValue.object(values).encoded())::jsonb)
            ON CONFLICT (job_id, kind, step) DO UPDATE SET metrics = excluded.metrics, epoch = excluded.epoch
            RETURNING (xmax = 0) AS inserted
            """).first?.decode(Bool.self, "inserted") ?? false
        guard inserted else { return }
        var data: JSONObject = ["step": .int(Int64(step)), "epoch": .double(epoch)]
        let prefix = kind == .train ? "train_" : "valid_"
        for (name, value) in values where value.double != nil {
            data[name.hasPrefix(prefix) ? name : prefix + name] = value
        }
        let summary = data.keys.filter { $0 != "step" && $0 != "epoch" }.prefix(4)
            .map { "\($0)=\(format(data[$0]?.double ?? 0))" }.joined(separator: ", ")
        try JobEvents.add(connection, job: job, message: "Step \(step): \(summary)", type: "metrics", data: .object(data))
        if kind == .eval {  // one delivery per evaluation, however often it is replayed
            try WebhookOutbox.add(connection, job: job, event: .evaluationCompleted,
                                  data: ["step": .int(Int64(step)), "epoch": .double(epoch), "metrics": .object(values)])
        }
    }

    /// The series in step order: `[{kind, step, epoch, metrics}]`.
    public static func series(_ connection: Connection, job: String) throws -> [(kind: String, step: Int, epoch: Double, metrics: JSONObject)] {
        try connection.query("""
            SELECT kind, step, epoch, metrics::text FROM fine_tuning_job_metric WHERE job_id = \(job) ORDER BY step, kind DESC
            """).map { row in
            (try row.decode(String.self, "kind"), try row.decode(Int.self, "step"), try row.decode(Double.self, "epoch"),
             try JSONValue(parsing: row.decode(String.self, "metrics")).object ?? JSONObject())
        }
    }

    /// A CSV like OpenAI's result file: `step,epoch,kind,` then every scalar metric name seen.
    public static func csv(_ series: [(kind: String, step: Int, epoch: Double, metrics: JSONObject)]) -> String {
        var names: [String] = []
        for entry in series {
            for (name, value) in entry.metrics where value.double != nil && !names.contains(name) { names.append(name) }
        }
        var out = (["step", "epoch", "kind"] + names).joined(separator: ",") + "\n"
        for entry in series {
            let cells = names.map { name in entry.metrics[name]?.double.map(format) ?? "" }
            out += ([String(entry.step), format(entry.epoch), entry.kind] + cells).joined(separator: ",") + "\n"
        }
        return out
    }

    static func format(_ value: Double) -> String {
        value.isFinite ? String(value) : ""
    }
}
