import JSON
import Store

/// A job row as a worker holds it after claiming.
public struct ClaimedJob: Sendable {
    public var id: String
    public var tenantID: String
    public var model: String
    public var architecture: String
    public var trainingFile: String
    public var validationFile: String?
    public var suffix: String?
    public var seed: Int64
    public var hyperparameters: JSONValue
    public var method: JSONValue
    /// `validatingFiles` (run the validation phase) or `running` (train).
    public var status: JobStatus
    public var attempt: Int
    public var maxAttempts: Int
    /// Processes the job trains across (MPI ranks).
    public var nodes: Int

    /// The fine-tuned model's name, as OpenAI forms it: `ft:BASE:SUFFIX:JOB`.
    public var fineTunedModel: String { "ft:\(model):\(suffix ?? ""):\(id)" }

    static let columns: Query = "id, tenant_id, model, architecture, training_file, validation_file, suffix, seed, hyperparameters::text, method::text, status, attempt, max_attempts, nodes"

    init(row: Row) throws {
        id = try row.decode(String.self, "id")
        tenantID = try row.decode(String.self, "tenant_id")
        model = try row.decode(String.self, "model")
        architecture = try row.decode(String.self, "architecture")
        trainingFile = try row.decode(String.self, "training_file")
        validationFile = try row.decode(String?.self, "validation_file")
        suffix = try row.decode(String?.self, "suffix")
        seed = try row.decode(Int64.self, "seed")
        hyperparameters = try JSONValue(parsing: row.decode(String.self, "hyperparameters"))
        method = try JSONValue(parsing: row.decode(String.self, "method"))
        status = try row.decode(JobStatus.self, "status")
        attempt = try row.decode(Int.self, "attempt")
        maxAttempts = try row.decode(Int.self, "max_attempts")
        nodes = try row.decode(Int.self, "nodes")
    }
}
