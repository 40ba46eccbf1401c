import Store

/// A fine-tuning job's status, with OpenAI's names (the `status` column's CHECK constraint holds
/// the same set). `JobStore` makes every change from one to another.
///
///     validating_files ─▶ queued ─▶ running ─▶ succeeded | failed
///     validating_files, queued, running, paused ─cancel─▶ cancelled
///     validating_files, queued, running ─pause─▶ paused ─resume─▶ validating_files | queued
public enum JobStatus: String, Sendable, CaseIterable, CustomStringConvertible, PostgresEncodable, PostgresDecodable {
    case validatingFiles = "validating_files"
    case queued
    case running
    case paused
    case succeeded
    case failed
    case cancelled

    /// The statuses a worker claims a job in (when no worker holds it and its time has come).
    public static let claimable: [JobStatus] = [.validatingFiles, .queued]
    /// `claimable` as a bind for `status = ANY(...)`.
    public static var claimableNames: [String] { claimable.map(\.rawValue) }

    /// Succeeded, failed or cancelled: nothing happens to the job any more.
    public var isFinished: Bool { self == .succeeded || self == .failed || self == .cancelled }

    public var description: String { rawValue }
    public var postgresBind: PostgresBind { rawValue.postgresBind }

    public init?(postgresText bytes: [UInt8]) {
        guard let text = String(postgresText: bytes) else { return nil }
        self.init(rawValue: text)
    }
}

/// What a user can do to a job through the API.
public enum JobAction: String, Sendable, CaseIterable {
    case cancel, pause, resume

    /// The statuses the action may start from.
    public var allowedFrom: [JobStatus] {
        switch self {
        case .cancel: [.validatingFiles, .queued, .running, .paused]
        case .pause: [.validatingFiles, .queued, .running]
        case .resume: [.paused]
        }
    }

    /// The event it writes.
    var message: String {
        switch self {
        case .cancel: "Job cancelled by the user"
        case .pause: "Job paused by the user"
        case .resume: "Job resumed by the user"
        }
    }
}
