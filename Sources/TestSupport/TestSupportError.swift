/// Why a test fixture could not be set up. Tests fail on it; they never skip.
public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
