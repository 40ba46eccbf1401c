/// Facts about this build of Anneal.
public enum Build {
    /// The version `anneal version` prints and job manifests record.
    public static let version = "0.1.0"
}
