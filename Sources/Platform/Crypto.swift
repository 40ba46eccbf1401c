import CLinux
import COpenSSL
import Glibc

/// Hashes and random bytes.
public enum Crypto {
    /// SHA-256 of `bytes`. The corresponding C function is OpenSSL's `SHA256`.
    public static func sha256<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        let hashed: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
            SHA256(buffer.baseAddress, buffer.count, &digest) != nil
        }
        if hashed == nil {
            let copy = Array(bytes)
            _ = copy.withUnsafeBufferPointer { SHA256($0.baseAddress, $0.count, &digest) }
        }
        return digest
    }

    public static func sha256Hex(_ text: String) -> String { hex(sha256(Array(text.utf8))) }

    /// `count` bytes from the kernel's CSPRNG. The corresponding C function is `getrandom`.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let result = bytes.withUnsafeMutableBytes { raw in
                Result { () throws(Errno) in try valueOrErrno { getrandom(raw.baseAddress! + filled, count - filled, 0) } }
            }
            switch result {
            case .success(let n): filled += n
            case .failure(let error): preconditionFailure("getrandom failed: \(error)")
            }
        }
        return bytes
    }

    /// Lower-case hexadecimal.
    public static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A random identifier: `prefix` then `count` characters of [0-9A-Za-z], e.g. `file-3kT9…`.
    public static func randomID(prefix: String, count: Int = 24) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            for b in randomBytes(count) where b < 248 && out.count < count {
                out.append(alphabet[Int(b) % 62])
            }
        }
        return prefix + String(decoding: out, as: UTF8.self)
    }
}

/// SHA-256 over bytes that arrive in pieces (an upload). The corresponding C functions are
/// OpenSSL's `EVP_DigestInit_ex`, `EVP_DigestUpdate` and `EVP_DigestFinal_ex`.
public final class SHA256Hasher {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            preconditionFailure("OpenSSL cannot start a SHA-256 digest")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
    }

    /// The digest of everything given so far, as lower-case hexadecimal; the hasher is done.
    public func finishHex() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return Crypto.hex(digest)
    }
}
