import COpenSSL
import Glibc
import Platform
import Synchronization

/// A byte stream over a connected socket, plain or TLS.
protocol ByteChannel: AnyObject {
    /// Up to `buffer.count` bytes; 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(HTTPClientError) -> Int
    func write(_ bytes: [UInt8]) throws(HTTPClientError)
    func close()
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
    private let socket: Socket
    private let ssl: OpaquePointer

    /// An OpenSSL client context: thread-safe once set up, shared by every connection.
    private struct Context: @unchecked Sendable { let pointer: OpaquePointer }
    private static let contexts = Mutex<[String: Context]>([:])

    /// The context trusting `caFile` (PEM), or the system's roots for nil; made once each.
    private static func context(caFile: String?) -> OpaquePointer? {
        contexts.withLock { contexts in
            if let cached = contexts[caFile ?? ""] { return cached.pointer }
            guard let context = SSL_CTX_new(TLS_client_method()) else { return nil }
            if let caFile {
                SSL_CTX_load_verify_locations(context, caFile, nil)
            } else {
                SSL_CTX_set_default_verify_paths(context)
            }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
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
        if host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
        } else {
            _ = anneal_ssl_set_server_name(ssl, host)
            SSL_set1_host(ssl, host)
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
        switch SSL_get_error(ssl, n) {
        case SSL_ERROR_ZERO_RETURN: return 0
        case SSL_ERROR_SYSCALL where errno == EAGAIN: throw .timedOut
        case SSL_ERROR_SYSCALL: return 0  // closed without close_notify: the body's length decides
        default: throw .tls(Self.lastError())
        }
    }

    func write(_ bytes: [UInt8]) throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count {
            ERR_clear_error()
            let n = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress! + offset, Int32(bytes.count - offset)) }
            guard n > 0 else { throw errno == EAGAIN ? .timedOut : .tls(Self.lastError()) }
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
