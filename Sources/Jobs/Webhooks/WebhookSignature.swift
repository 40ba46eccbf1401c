import Platform

/// Standard Webhooks signing: the secret is `whsec_` and the base64 of a random key; each
/// delivery carries `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`,
/// `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` under that key.
public enum WebhookSignature {
    /// A new secret: 32 random bytes.
    public static func newSecret() -> String { "whsec_" + Crypto.base64(Crypto.randomBytes(32)) }

    /// The key of a `whsec_…` secret; nil when it is not one.
    public static func key(_ secret: String) -> [UInt8]? {
        guard secret.hasPrefix("whsec_") else { return nil }
        return Crypto.base64Decode(String(secret.dropFirst(6)))
    }

    /// `v1,<base64>` for one delivery.
    public static func sign(secret: String, id: String, timestamp: Int, body: [UInt8]) -> String {
        let message = Array("\(id).\(timestamp).".utf8) + body
        return "v1," + Crypto.base64(Crypto.hmacSHA256(key: key(secret) ?? [], message: message))
    }

    /// The three headers of a delivery, for a receiver to check with `verify`.
    public static func headers(secret: String, id: String, timestamp: Int, body: [UInt8]) -> [(String, String)] {
        [("webhook-id", id), ("webhook-timestamp", String(timestamp)),
         ("webhook-signature", sign(secret: secret, id: id, timestamp: timestamp, body: body))]
    }

    /// What a receiver does: true when one of the space-separated `v1,` signatures matches and
    /// the timestamp is within `tolerance` seconds of `now`.
    public static func verify(secret: String, id: String, timestamp: String, signatures: String, body: [UInt8],
                              now: Int, tolerance: Int = 300) -> Bool {
        guard key(secret)?.isEmpty == false, let seconds = Int(timestamp), abs(now - seconds) <= tolerance else { return false }
        let expected = Array(sign(secret: secret, id: id, timestamp: seconds, body: body).utf8)
        return signatures.split(separator: " ").contains { Crypto.constantTimeEqual(Array($0.utf8), expected) }
    }
}
