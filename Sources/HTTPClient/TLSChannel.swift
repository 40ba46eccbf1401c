import COpenSSL
import Glibc
import Platform
import Synchronization

/// A byte stream over a connected socket, plain or TLS.
protocol ByteChannel: AnyObject {
    var socket: Socket { get }
    /// Up to `buffer.count` bytes; 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(HTTPClientError) -> Int
    func write(_ bytes: [UInt8]) throws(HTTPClientError)
    func close()
}

extension ByteChannel {
    /// Lets the next read or write wait `idle` seconds, or only what is left before `deadline`
    /// (a `MonotonicClock` time); `.timedOut` once it has passed.
    func limit(idle: Double, deadline: Double?) throws(HTTPClientError) {
        var seconds = idle
        if let deadline {
            seconds = min(seconds, deadline - MonotonicClock.now)
            guard seconds > 0 else { throw .timedOut }
        }
        socket.setTimeouts(seconds: seconds)
    }
}

/// A blocking socket whose timeouts `Socket.connect(to:timeout:)` set.
final class PlainChannel: ByteChannel {
    let socket: Socket
    init(_ socket: Socket) { self.socket = socket }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(HTTPClientError) -> Int {
        do {
            switch try socket.read(into: buffer) {
            case .bytes(let n): return n
            case .closed: return 0
            case .wouldBlock: throw HTTPClientError.timedOut  // SO_RCVTIMEO expired
            }
        } catch let error as HTTPClientError {
            throw error
        } catch {
            throw .connect("\(error)")
        }
    }

    func write(_ bytes: [UInt8]) throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(Errno) in try socket.write(UnsafeRawBufferPointer(rebasing: raw[offset...])) }
            }
            switch result {
            case .success(.bytes(let n)): offset += n
            case .success(.wouldBlock): throw .timedOut
            case .failure(let error): throw .connect("\(error)")
            }
        }
    }

    func close() { socket.close() }
}

/// TLS over a connected socket with OpenSSL: the peer's certificate must chain to the system's
/// trusted roots (`SSL_CERT_FILE` and `SSL_CERT_DIR` override them), or to the client's own CA
/// file, and name the host.
final class TLSChannel: ByteChannel {
    let socket: Socket
    private let ssl: OpaquePointer

    /// An OpenSSL client context: thread-safe once set up, shared by every connection.
    private struct Context: @unchecked Sendable { let pointer: OpaquePointer }
    private static let contexts = Mutex<[String: Context]>([:])

    /// The context trusting `caFile` (PEM), or the system's roots for nil; made once each.
    private static func context(caFile: String?) -> OpaquePointer? {
        contexts.withLock { contexts in
            if let cached = contexts[caFile ?? ""] { return cached.pointer }
            guard let context = SSL_CTX_new(TLS_client_method()) else { return nil }
            let loaded = caFile.map { SSL_CTX_load_verify_locations(context, $0, nil) } ?? SSL_CTX_set_default_verify_paths(context)
            guard loaded == 1 else {
                SSL_CTX_free(context)  // not cached: a CA file fixed later is read again
                return nil
            }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            // A server that closes without close_notify ends a close-framed body (OpenSSL 3
            // reports it as an error otherwise).
            anneal_ssl_ctx_ignore_unexpected_eof(context)
            contexts[caFile ?? ""] = Context(pointer: context)
            return context
        }
    }

    init(socket: Socket, host: String, caFile: String?) throws(HTTPClientError) {
        guard let context = Self.context(caFile: caFile), let ssl = SSL_new(context) else {
            socket.close()
            throw .tls("cannot create a TLS context")
        }
        self.socket = socket
        self.ssl = ssl
        SSL_set_fd(ssl, socket.fileDescriptor)
        // The certificate must name the host: its IP address for a literal, else its DNS name.
        let named = host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." })
            ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1
            : anneal_ssl_set_server_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1
        guard named else {
            SSL_free(ssl)
            socket.close()
            throw .tls("cannot check a certificate against the host \(host)")
        }
        ERR_clear_error()
        guard SSL_connect(ssl) == 1 else {
            let verify = SSL_get_verify_result(ssl)
            let reason = verify != X509_V_OK ? String(cString: X509_verify_cert_error_string(verify)) : Self.lastError()
            SSL_free(ssl)
            socket.close()
            throw .tls(reason)
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(HTTPClientError) -> Int {
        ERR_clear_error()
        let n = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        if n > 0 { return Int(n) }
        let failure = SSL_get_error(ssl, n), code = errno
        switch failure {
        case SSL_ERROR_ZERO_RETURN: return 0  // closed, with or without close_notify: the framing decides
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: throw .timedOut  // the socket's timeout ran out
        case SSL_ERROR_SYSCALL where code == EAGAIN || code == EWOULDBLOCK: throw .timedOut
        case SSL_ERROR_SYSCALL where code == 0: return 0
        default: throw .tls(Self.lastError())
        }
    }

    func write(_ bytes: [UInt8]) throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count {
            ERR_clear_error()
            let n = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress! + offset, Int32(bytes.count - offset)) }
            guard n > 0 else {
                let failure = SSL_get_error(ssl, n)
                throw failure == SSL_ERROR_WANT_WRITE || failure == SSL_ERROR_WANT_READ || errno == EAGAIN ? .timedOut : .tls(Self.lastError())
            }
            offset += Int(n)
        }
    }

    func close() {
        SSL_free(ssl)
        socket.close()
    }

    private static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "connection closed during the handshake" }
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
