import JSON
import Store
import Training

/// The `validating_files` phase, run by a worker: re-reads the job's files from the store, checks
/// every line, that both files have one shape, and that validation labels are training labels.
enum FileValidation {
    static func run(_ context: JobContext) throws {
        let job = context.job
        let training = try check(file: job.trainingFile, param: "training_file", context)
        var summary = "Training file \(job.trainingFile): \(training.exampleCount) examples"
        if training.shape?.isLabelled == true { summary += ", labels \(training.labels.joined(separator: ", "))" }
        try context.event(summary, data: details(training))
        guard let validationID = job.validationFile else { return }
        let validation = try check(file: validationID, param: "validation_file", context)
        if validation.shape != training.shape {
            throw JobFailure(code: "invalid_validation_file",
                             message: "Validation file \(validationID) holds \(validation.shape?.keys ?? "?") records but the training file holds \(training.shape?.keys ?? "?")",
                             param: "validation_file")
        }
        if training.shape?.isLabelled == true {
            let known = Set(training.labels)
            if let (line, label) = try firstUnknownLabel(in: validationID, known: known, context) {
                throw JobFailure(code: "invalid_validation_file",
                                 message: "Validation file \(validationID), line \(line): label \"\(label)\" is not among the training file's labels",
                                 param: "validation_file")
            }
        }
        try context.event("Validation file \(validationID): \(validation.exampleCount) examples", data: details(validation))
    }

    static func content(of file: String, _ context: JobContext) throws -> [UInt8]? {
        try context.pool.withConnection { connection in
            try connection.queryBinary("SELECT content FROM file WHERE id = \(file) AND tenant_id = \(context.job.tenantID)")
                .first?.bytes("content")
        }
    }

    static func check(file: String, param: String, _ context: JobContext) throws -> DatasetReport {
        let code = "invalid_\(param)"
        guard let bytes = try content(of: file, context) else {
            throw JobFailure(code: code, message: "File \(file) no longer exists", param: param)
        }
        let report = DatasetValidator.validate(bytes)
        guard report.isValid else {
            throw JobFailure(code: code, message: "File \(file): \(report.problemSummary)", param: param)
        }
        return report
    }

    static func firstUnknownLabel(in file: String, known: Set<String>, _ context: JobContext) throws -> (Int, String)? {
        guard let bytes = try content(of: file, context) else { return nil }
        for (number, line) in JSONLines.lines(bytes) {
            guard let record = try? JSONValue(parsing: line), let (_, label) = try? DatasetValidator.check(record),
                  let label, !known.contains(label) else { continue }
            return (number, label)
        }
        return nil
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
