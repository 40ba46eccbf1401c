import COpenSSL
import Glibc
import Platform

/// In-process TLS for the server (`ANNEAL_TLS_CERT`, `ANNEAL_TLS_KEY`): one OpenSSL server
/// context, TLS 1.2 and 1.3, shared by every connection. Most deployments end TLS at the ingress
/// instead; this is for a server reached directly.
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer

    /// Loads a PEM certificate chain and its private key; throws a readable reason.
    public init(certificateFile: String, keyFile: String) throws(TLSError) {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TLSError("cannot create a TLS context: \(TLSError.lastError())") }
        guard anneal_ssl_ctx_server_defaults(context) == 1 else {
            SSL_CTX_free(context)
            throw TLSError("cannot set the TLS versions: \(TLSError.lastError())")
        }
        ERR_clear_error()
        guard SSL_CTX_use_certificate_chain_file(context, certificateFile) == 1 else {
            SSL_CTX_free(context)
            throw TLSError("cannot load the certificate \(certificateFile): \(TLSError.lastError())")
        }
        guard SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) == 1 else {
            SSL_CTX_free(context)
            throw TLSError("cannot load the private key \(keyFile): \(TLSError.lastError())")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            SSL_CTX_free(context)
            throw TLSError("the private key \(keyFile) does not match the certificate \(certificateFile)")
        }
        // OpenSSL writes to the socket itself, without MSG_NOSIGNAL: a client gone must not kill the process.
        signal(SIGPIPE, SIG_IGN)
        self.context = context
    }

    deinit { SSL_CTX_free(context) }

    /// A server-side session over an accepted, non-blocking socket; the handshake runs on its
    /// first reads and writes.
    func session(_ socket: Socket) -> TLSSession? {
        guard let ssl = SSL_new(context) else { return nil }
        SSL_set_fd(ssl, socket.fileDescriptor)
        SSL_set_accept_state(ssl)
        return TLSSession(ssl)
    }
}

public struct TLSError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }

    static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "no detail from OpenSSL" }
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

/// One connection's TLS state, used only by the loop thread that owns the connection. Reads and
/// writes answer like `Socket`'s; `wantsWrite` asks the loop to wake on writability when OpenSSL
/// must send (handshake) before it can read.
final class TLSSession {
    private let ssl: OpaquePointer
    private(set) var wantsWrite = false

    init(_ ssl: OpaquePointer) { self.ssl = ssl }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Socket.ReadResult {
        ERR_clear_error()
        let n = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        wantsWrite = false
        if n > 0 { return .bytes(Int(n)) }
        switch SSL_get_error(ssl, n) {
        case SSL_ERROR_WANT_READ: return .wouldBlock
        case SSL_ERROR_WANT_WRITE:
            wantsWrite = true
            return .wouldBlock
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL where errno == 0: return .closed
        default: throw Errno(rawValue: EPROTO)  // a failed handshake (plain HTTP on the TLS port) or a broken record
        }
    }

    func write(_ buffer: UnsafeRawBufferPointer) throws(Errno) -> Socket.WriteResult {
        guard buffer.count > 0 else { return .bytes(0) }
        ERR_clear_error()
        let n = SSL_write(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        if n > 0 { return .bytes(Int(n)) }
        switch SSL_get_error(ssl, n) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .wouldBlock
        default: throw Errno(rawValue: EPIPE)
        }
    }

    /// Sends close_notify if it can without waiting, then frees the session.
    func close() {
        if SSL_is_init_finished(ssl) == 1 { _ = SSL_shutdown(ssl) }
        SSL_free(ssl)
    }
}
