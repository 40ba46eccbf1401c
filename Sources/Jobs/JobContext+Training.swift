import JSON
import Models
import Store
import Training

/// The steps every fine-tuning job takes around its method's trainer: its base model, its
/// files, its hyperparameters, the run through `JobTrainingHooks`, and the result.
extension JobContext {
    /// The job's base model from `load` (nil: the catalog has no such model).
    func base<Base>(_ load: (String) throws -> Base?) throws -> Base {
        let loaded: Base?
        do { loaded = try load(job.model) } catch {
            throw JobFailure(code: "model_unavailable", message: "Base model \(job.model) cannot be loaded: \(error)", param: "model")
        }
        guard let loaded else { throw JobFailure(code: "model_not_found", message: "Base model \(job.model) is not available", param: "model") }
        return loaded
    }

    /// The training file's and the validation file's bytes.
    func files() throws -> (training: [UInt8], validation: [UInt8]?) {
        guard let training = try FileValidation.content(of: job.trainingFile, self) else {
            throw JobFailure(code: "invalid_training_file", message: "File \(job.trainingFile) no longer exists", param: "training_file")
        }
        guard let file = job.validationFile else { return (training, nil) }
        guard let validation = try FileValidation.content(of: file, self) else {
            throw JobFailure(code: "invalid_validation_file", message: "File \(file) no longer exists", param: "validation_file")
        }
        return (training, validation)
    }

    /// The training arguments of the job's hyperparameters (HF's names and defaults, the job's seed).
    var arguments: TrainingArguments { TrainingArguments(job.hyperparameters.object ?? [:], seed: Int(job.seed)) }


    /// Runs `task` to its end through the job's hooks (resuming from its latest checkpoint),
    /// writes the result file, and describes the model with `manifest`.
    func run(_ task: some TrainingTask, manifest: ModelManifest) throws -> TrainingResult {
        let outcome = try task.run(JobTrainingHooks(context: self))
        guard !isFollower else { return TrainingResult(trainedTokens: outcome.trainedTokens, checkpoint: outcome.checkpoint, manifest: manifest) }
        if outcome.stoppedEarly { try event("Early stopping after step \(outcome.steps)") }
        return TrainingResult(trainedTokens: outcome.trainedTokens, resultFiles: [try ResultFile.write(self)], checkpoint: outcome.checkpoint,
                              manifest: manifest)
    }
}
