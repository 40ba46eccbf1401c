import HTTP
import JSON
import Models
import Platform
import Store

extension ModelRoutes {
    /// `GET /v1/models/{id}/download`: a tar of a Hugging Face folder for a fine-tuned classifier
    /// (`config.json` with `id2label`/`label2id`, `model.safetensors`, the base model's tokenizer
    /// files) that `AutoModelForSequenceClassification.from_pretrained` loads; a LoRA classifier
    /// as a PEFT folder unless `?merged=true`. A language model:
    /// a PEFT folder for a LoRA fine-tune, or with `?merged=true` (and always for a full
    /// fine-tune) a Hugging Face folder of the whole model. Each folder carries the job's
    /// reproducibility manifest as `anneal_manifest.json`.
    func download(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let id = context.parameter("id"), merged = request.queryValue("merged")
        guard merged == nil || merged == "true" || merged == "false" else {
            throw HTTPError.badRequest("merged must be true or false", param: "merged")
        }
        let model = try FineTunedModel.find(id, tenant: context.tenant, pool: pool, catalog: catalog)
        var files = try model.exportFiles(merged: merged == "true", pool: pool)
        // The job's reproducibility manifest travels with the weights it describes.
        let manifest = try pool.withConnection { connection in
            try connection.query("""
                SELECT j.reproducibility::text AS manifest FROM model m JOIN fine_tuning_job j ON j.id = m.job_id WHERE m.id = \(id)
                """).first?.decode(String?.self, "manifest")
        }
        if let manifest { files.append(StreamedFile(name: "anneal_manifest.json", bytes: Array(manifest.utf8))) }
        return Self.tar(id, files)
    }

    /// A streamed tar of `files` in one folder named after the model (colons made underscores);
    /// each file is written as it goes out, so the weights are never copied into the response.
    static func tar(_ model: String, _ files: [StreamedFile]) -> HTTPResponse {
        let folder = String(model.map { $0 == ":" ? "_" : $0 }.prefix(60))
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/x-tar")
        headers.add("Content-Disposition", "attachment; filename=\"\(folder).tar\"")
        return HTTPResponse(headers: headers, stream: HTTPBodyStream { write in
            try withoutActuallyEscaping(write) { write in
                let tar = TarWriter(write: write, modificationTime: WallClock.unixSeconds)
                for file in files { try tar.file(folder + "/" + file.name, file) }
                try tar.finish()
            }
        })
    }
}
