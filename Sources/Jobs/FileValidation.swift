import JSON
import Store
import Training

/// The `validating_files` phase, run by a worker: each file's validation report (what upload
/// validation found, kept in `file.report`; a file uploaded before reports were kept is checked
/// once here and its report stored), that both files have one shape, and that validation labels
/// are training labels. No file is checked line by line twice.
public enum FileValidation {
    /// What checking an uploaded fine-tune file found: the problems (nil: valid), its record
    /// shape, examples and labels, and the whole report as the file row keeps it.
    public struct Upload: Sendable {
        public var problems: String?
        public var shape: String?
        public var examples: Int
        public var labels: [String]?
        public var report: JSONValue

        /// What a validator's report says about an upload.
        init(_ report: DatasetReport) {
            problems = report.isValid ? nil : report.problemSummary
            shape = report.shape?.rawValue
            examples = report.exampleCount
            labels = report.shape?.isLabelled == true ? report.labels : nil
            self.report = report.json
        }
    }

    /// Checks every line of an uploaded file as its bytes arrive, once: jobs read the kept report.
    public struct UploadCheck {
        var scanner = DatasetScanner()
        public init() {}
        public mutating func feed(_ bytes: [UInt8]) { scanner.feed(bytes) }
        /// The report holds as many problems as it keeps: the file is invalid whatever follows.
        public var isFull: Bool { scanner.isFull }
        public mutating func finish() -> Upload { Upload(scanner.finish()) }
    }

    static func run(_ context: JobContext) throws {
        let job = context.job, (pool, tenant) = (context.pool, job.tenantID)
        let training = try report(of: job.trainingFile, param: "training_file", pool: pool, tenant: tenant)
        try check(training, id: job.trainingFile, method: job.method["type"]?.string ?? "supervised")
        var summary = "Training file \(job.trainingFile): \(training.exampleCount) examples"
        if training.shape?.isLabelled == true { summary += ", labels \(training.labels.joined(separator: ", "))" }
        try context.event(summary, data: details(training))
        guard let validationID = job.validationFile else { return }
        let validation = try report(of: validationID, param: "validation_file", pool: pool, tenant: tenant)
        try check(validation, id: validationID, against: training)
        try context.event("Validation file \(validationID): \(validation.exampleCount) examples", data: details(validation))
    }

    /// Preference tuning takes preference pairs, and only it does.
    static func check(_ training: DatasetReport, id: String, method: String) throws {
        let preferring = method == "dpo" || method == "orpo"
        if preferring && training.shape != .preference {
            throw JobFailure(code: "invalid_training_file",
                             message: "Training file \(id) holds \(training.shape?.keys ?? "?") records; method \(method) needs preference pairs: \(RecordShape.preference.keys)",
                             param: "training_file")
        }
        if !preferring && training.shape == .preference {
            throw JobFailure(code: "invalid_training_file",
                             message: "Training file \(id) holds preference pairs: they need method dpo or orpo, not \(method)", param: "training_file")
        }
    }

    /// A validation file must hold the training file's kind of records, and only its labels.
    static func check(_ validation: DatasetReport, id validationID: String, against training: DatasetReport) throws {
        if validation.shape != training.shape {
            throw JobFailure(code: "invalid_validation_file",
                             message: "Validation file \(validationID) holds \(validation.shape?.keys ?? "?") records but the training file holds \(training.shape?.keys ?? "?")",
                             param: "validation_file")
        }
        if training.shape?.isLabelled == true {
            let known = Set(training.labels)
            let unknown = validation.labels.filter { !known.contains($0) }.map { (line: validation.firstLines[$0] ?? 0, label: $0) }
            if let (line, label) = unknown.min(by: { $0.line < $1.line }) {
                throw JobFailure(code: "invalid_validation_file",
                                 message: "Validation file \(validationID), line \(line): label \"\(label)\" is not among the training file's labels",
                                 param: "validation_file")
            }
        }
    }

    static func content(of file: String, _ context: JobContext) throws -> [UInt8]? {
        try content(of: file, pool: context.pool, tenant: context.job.tenantID)
    }

    static func content(of file: String, pool: ConnectionPool, tenant: String) throws -> [UInt8]? {
        try pool.withConnection { connection in try FileContent.read(connection, file: file, tenant: tenant) }
    }

    /// The file's stored report, or (a file without one) its lines checked now and the report stored.
    static func report(of file: String, param: String, pool: ConnectionPool, tenant: String) throws -> DatasetReport {
        let code = "invalid_\(param)"
        let row = try pool.withConnection { connection in
            try connection.query("SELECT report::text AS report FROM file WHERE id = \(file) AND tenant_id = \(tenant)").first
        }
        guard let row else { throw JobFailure(code: code, message: "File \(file) no longer exists", param: param) }
        if let text = try row.decode(String?.self, "report"), let stored = DatasetReport(json: try JSONValue(parsing: text)) {
            return stored
        }
        guard let bytes = try content(of: file, pool: pool, tenant: tenant) else {
            throw JobFailure(code: code, message: "File \(file) no longer exists", param: param)
        }
        let report = DatasetValidator.validate(bytes)
        guard report.isValid else {
            throw JobFailure(code: code, message: "File \(file): \(report.problemSummary)", param: param)
        }
        _ = try pool.withConnection { connection in
            try connection.execute("UPDATE file SET report = \(report.json.encoded())::jsonb WHERE id = \(file) AND tenant_id = \(tenant)")
        }
        return report
    }

    static func details(_ report: DatasetReport) -> JSONValue {
        var data: JSONObject = ["examples": .int(Int64(report.exampleCount)), "shape": .string(report.shape?.rawValue ?? "")]
        if report.shape?.isLabelled == true {
            var counts = JSONObject()
            for label in report.labels { counts[label] = .int(Int64(report.labelCounts[label] ?? 0)) }
            data["label_counts"] = .object(counts)
        }
        return .object(data)
    }
}
