import Platform

/// The SHA-256 of a large byte buffer, in hex, for `#expect` comparisons: Swift Testing renders
/// a failed `==` on two arrays as a collection difference, which takes minutes and gigabytes for
/// a model's weights.
public func digest(_ bytes: [UInt8]) -> String { Crypto.hex(Crypto.sha256(bytes)) }
