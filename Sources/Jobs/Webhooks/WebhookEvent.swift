/// What a webhook can subscribe to. The job outcomes are sent by default; checkpoints and
/// evaluations only when asked for.
public enum WebhookEvent: String, Sendable, CaseIterable {
    case succeeded = "fine_tuning.job.succeeded"
    case failed = "fine_tuning.job.failed"
    case cancelled = "fine_tuning.job.cancelled"
    case checkpointCreated = "fine_tuning.job.checkpoint.created"
    case evaluationCompleted = "fine_tuning.job.evaluation.completed"

    /// The subscription of a webhook created without `events`.
    public static let defaults: [WebhookEvent] = [.succeeded, .failed, .cancelled]
}
