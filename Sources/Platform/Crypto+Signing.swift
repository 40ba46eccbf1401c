import COpenSSL

extension Crypto {
    /// HMAC-SHA256 of `message` under `key`. The corresponding C function is OpenSSL's `HMAC`;
    /// it cannot fail for SHA-256 short of memory running out, which stops the process.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        let storage = key.isEmpty ? [0] : key  // a valid pointer even for an empty key
        let done = storage.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                HMAC(EVP_sha256(), k.baseAddress, Int32(key.count), m.baseAddress, m.count, &digest, &length) != nil
            }
        }
        precondition(done && length == 32, "HMAC-SHA256 failed")
        return digest
    }

    /// Compares in time that depends only on the lengths, for secrets and signatures.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with `=` padding (RFC 4648 §4).
    public static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let chunk = Array(bytes[i..<min(i + 3, bytes.count)])
            let value = (UInt32(chunk[0]) << 16) | (UInt32(chunk.count > 1 ? chunk[1] : 0) << 8) | UInt32(chunk.count > 2 ? chunk[2] : 0)
            for j in 0..<4 {
                out.append(j <= chunk.count ? base64Alphabet[Int((value >> (18 - 6 * UInt32(j))) & 63)] : UInt8(ascii: "="))
            }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes standard base64 (padding optional); nil on any other character.
    public static func base64Decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        for c in text.utf8 where c != UInt8(ascii: "=") {
            guard let index = base64Alphabet.firstIndex(of: c) else { return nil }
            values.append(UInt8(index))
        }
        guard values.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < values.count {
            let group = Array(values[i..<min(i + 4, values.count)])
            var value: UInt32 = 0
            for j in 0..<4 { value = (value << 6) | UInt32(j < group.count ? group[j] : 0) }
            for j in 0..<(group.count - 1) { out.append(UInt8((value >> (16 - 8 * UInt32(j))) & 255)) }
            i += 4
        }
        return out
    }
}
