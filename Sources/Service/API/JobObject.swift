import JSON
import Jobs
import Store

/// The OpenAI `fine_tuning.job` object, plus `progress`, `queue_position`, `attempt` and `priority`.
enum JobObject {
    static let columns: Query = """
        j.id, j.tenant_id, j.model, j.training_file, j.validation_file, j.suffix, j.seed, j.metadata::text,
        j.method::text, j.hyperparameters::text, j.status, j.error::text, j.fine_tuned_model, j.trained_tokens,
        j.result_files::text, j.progress::text, j.attempt, j.max_attempts, j.priority, j.nodes, j.rerun_of,
        extract(epoch FROM j.created_at)::bigint AS created_at, extract(epoch FROM j.finished_at)::bigint AS finished_at,
        extract(epoch FROM j.estimated_finish)::bigint AS estimated_finish,
        CASE WHEN j.status = ANY(\(JobStatus.claimableNames)) AND j.locked_by IS NULL THEN (
            SELECT count(*) FROM fine_tuning_job q
            WHERE q.status = ANY(\(JobStatus.claimableNames)) AND q.locked_by IS NULL
              AND (q.priority, q.scheduled_at, q.id) < (j.priority, j.scheduled_at, j.id)) END AS queue_position
        """

    static func json(_ row: Row) throws -> JSONValue {
        func parsed(_ column: String) throws -> JSONValue {
            guard let text = try row.decode(String?.self, column) else { return .null }
            return try JSONValue(parsing: text)
        }
        // What the trainer will use: HF's defaults where unset and OpenAI's "auto" resolved.
        let seed = try row.decode(Int64.self, "seed")
        let hyperparameters = JobSpec.resolved(hyperparameters: try parsed("hyperparameters"), seed: Int(seed))
        var method = try parsed("method")
        if case .object(var object) = method, let type = object["type"]?.string {
            object[type] = .object(["hyperparameters": hyperparameters])
            method = .object(object)
        }
        let object: JSONObject = [
            "object": "fine_tuning.job",
            "id": .string(try row.decode(String.self, "id")),
            "model": .string(try row.decode(String.self, "model")),
            "created_at": .int(try row.decode(Int64.self, "created_at")),
            "finished_at": .optional(try row.decode(Int?.self, "finished_at")),
            "fine_tuned_model": .optional(try row.decode(String?.self, "fine_tuned_model")),
            "organization_id": .string(try row.decode(String.self, "tenant_id")),
            "result_files": try parsed("result_files"),
            "status": .string(try row.decode(String.self, "status")),
            "training_file": .string(try row.decode(String.self, "training_file")),
            "validation_file": .optional(try row.decode(String?.self, "validation_file")),
            "hyperparameters": hyperparameters,
            "method": method,
            "trained_tokens": .optional(try row.decode(Int?.self, "trained_tokens")),
            "error": try parsed("error"),
            "user_provided_suffix": .optional(try row.decode(String?.self, "suffix")),
            "seed": .int(seed),
            "estimated_finish": .optional(try row.decode(Int?.self, "estimated_finish")),
            "integrations": [],
            "metadata": try parsed("metadata"),
            "progress": try parsed("progress"),
            "queue_position": .optional(try row.decode(Int?.self, "queue_position")),
            "attempt": .int(Int64(try row.decode(Int.self, "attempt"))),
            "max_attempts": .int(Int64(try row.decode(Int.self, "max_attempts"))),
            "priority": .int(Int64(try row.decode(Int.self, "priority"))),
            "nodes": .int(Int64(try row.decode(Int.self, "nodes"))),
            "rerun_of": .optional(try row.decode(String?.self, "rerun_of")),
        ]
        return .object(object)
    }

    static func event(_ row: Row) throws -> JSONValue {
        let data = try row.decode(String?.self, "data")
        return .object([
            "object": "fine_tuning.job.event",
            "id": .string(try row.decode(String.self, "id")),
            "created_at": .int(try row.decode(Int64.self, "created_at")),
            "level": .string(try row.decode(String.self, "level")),
            "message": .string(try row.decode(String.self, "message")),
            "type": .string(try row.decode(String.self, "type")),
            "data": try data.map { try JSONValue(parsing: $0) } ?? .null,
        ])
    }

    static func checkpoint(_ row: Row) throws -> JSONValue {
        .object([
            "object": "fine_tuning.job.checkpoint",
            "id": .string(try row.decode(String.self, "id")),
            "created_at": .int(try row.decode(Int64.self, "created_at")),
            "fine_tuned_model_checkpoint": .string(try row.decode(String.self, "fine_tuned_model_checkpoint")),
            "fine_tuning_job_id": .string(try row.decode(String.self, "job_id")),
            "metrics": try JSONValue(parsing: row.decode(String.self, "metrics")),
            "step_number": .int(try row.decode(Int64.self, "step_number")),
        ])
    }
}
