import JSON
import Platform
import Store

/// The job's metrics as a CSV file (`purpose: fine-tune-results`), like OpenAI's result file.
enum ResultFile {
    static func write(_ context: JobContext) throws -> String {
        let job = context.job
        let id = Crypto.randomID(prefix: "file-")
        try context.pool.transaction { connection in
            let content = Array(JobMetrics.csv(try JobMetrics.series(connection, job: job.id)).utf8)
            try connection.execute("""
                INSERT INTO file (id, tenant_id, filename, purpose, bytes, sha256)
                VALUES (\(id), \(job.tenantID), \("step_metrics_\(job.id).csv"), 'fine-tune-results', \(content.count),
                        \(Crypto.hex(Crypto.sha256(content))))
                """)
            try FileContent.write(connection, file: id, bytes: content)
        }
        return id
    }
}
