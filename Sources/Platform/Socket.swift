import CLinux
import Glibc

/// A non-blocking TCP socket. Reads and writes report `EAGAIN` as `.wouldBlock` instead of throwing.
public struct Socket: Sendable, Hashable {
    public let fileDescriptor: Int32
    public init(fileDescriptor: Int32) { self.fileDescriptor = fileDescriptor }

    public enum ReadResult: Equatable { case bytes(Int), wouldBlock, closed }
    public enum WriteResult: Equatable { case bytes(Int), wouldBlock }

    /// A listening socket on `host:port` with `SO_REUSEADDR`. Port 0 picks a free port.
    /// The corresponding C functions are `socket`, `bind` and `listen`.
    public static func listen(host: String, port: Int, backlog: Int32 = 1024) throws(Errno) -> Socket {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let ip = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, ip, &address.sin_addr) == 1 else { throw Errno.invalidArgument }
        let fd = try valueOrErrno { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let listener = Socket(fileDescriptor: fd)
        do {
            try listener.setOption(SOL_SOCKET, SO_REUSEADDR, 1)
            _ = try withUnsafePointer(to: &address) { pointer throws(Errno) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw throws(Errno) in
                    try valueOrErrno { bind(fd, raw, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            _ = try valueOrErrno { Glibc.listen(fd, backlog) }
        } catch {
            listener.close()
            throw error
        }
        return listener
    }

    /// A blocking client connection to `host:port` (tests and tools use it).
    /// The corresponding C functions are `socket` and `connect`.
    public static func connect(host: String, port: Int) throws(Errno) -> Socket {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else { throw Errno.invalidArgument }
        let fd = try valueOrErrno { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result == -1 {
            let error = Errno.current
            Glibc.close(fd)
            throw error
        }
        return Socket(fileDescriptor: fd)
    }

    /// Sets a receive timeout on a blocking socket. The corresponding C function is `setsockopt(SO_RCVTIMEO)`.
    public func setReceiveTimeout(seconds: Double) { setTimeout(SO_RCVTIMEO, seconds) }

    /// Sets a send timeout on a blocking socket: a write that cannot proceed for that long returns
    /// `.wouldBlock`. The corresponding C function is `setsockopt(SO_SNDTIMEO)`.
    public func setSendTimeout(seconds: Double) { setTimeout(SO_SNDTIMEO, seconds) }

    private func setTimeout(_ option: Int32, _ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1e6))
        setsockopt(fileDescriptor, SOL_SOCKET, option, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The port this socket is bound to. The corresponding C function is `getsockname`.
    public var localPort: Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fileDescriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Accepts one pending connection as a non-blocking socket, or nil when none is waiting.
    /// The corresponding C function is `accept4`.
    public func accept() throws(Errno) -> (socket: Socket, peer: String)? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                accept4(fileDescriptor, $0, &length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            }
        }
        if fd == -1 {
            let error = Errno.current
            if error == .wouldBlock || error == .interrupted || error.rawValue == ECONNABORTED { return nil }
            throw error
        }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(INET_ADDRSTRLEN))
        let peer = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let socket = Socket(fileDescriptor: fd)
        try? socket.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        return (socket, peer)
    }

    /// The corresponding C function is `read`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> ReadResult {
        while true {
            let n = Glibc.read(fileDescriptor, buffer.baseAddress, buffer.count)
            if n > 0 { return .bytes(n) }
            if n == 0 { return .closed }
            let error = Errno.current
            if error == .interrupted { continue }
            if error == .wouldBlock { return .wouldBlock }
            throw error
        }
    }

    /// The corresponding C function is `send` with `MSG_NOSIGNAL` (no SIGPIPE on a closed peer).
    public func write(_ buffer: UnsafeRawBufferPointer) throws(Errno) -> WriteResult {
        while true {
            let n = send(fileDescriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return .bytes(n) }
            let error = Errno.current
            if error == .interrupted { continue }
            if error == .wouldBlock { return .wouldBlock }
            throw error
        }
    }

    /// The corresponding C function is `setsockopt`.
    public func setOption(_ level: Int32, _ name: Int32, _ value: Int32) throws(Errno) {
        var v = value
        _ = try valueOrErrno { setsockopt(fileDescriptor, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) }
    }

    /// The corresponding C function is `shutdown(SHUT_WR)`.
    public func shutdownWrite() { Glibc.shutdown(fileDescriptor, Int32(SHUT_WR)) }

    /// The corresponding C function is `close`.
    public func close() { _ = Glibc.close(fileDescriptor) }
}
