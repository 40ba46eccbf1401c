import Glibc

/// One resolved IPv4 or IPv6 address with its port: what `getaddrinfo` returns for a host name.
public struct NetworkAddress: Sendable, CustomStringConvertible {
    /// The raw `sockaddr_in` or `sockaddr_in6` bytes.
    let storage: [UInt8]
    public let family: Int32
    /// The address as text, `203.0.113.7` or `2001:db8::1`.
    public let ip: String

    public var description: String { family == AF_INET6 ? "[\(ip)]" : ip }

    /// Addresses of `host` for TCP on `port`, IPv4 first. The corresponding C function is
    /// `getaddrinfo`; an IP literal resolves to itself without a lookup.
    public static func resolve(host: String, port: Int) throws(ResolveError) -> [NetworkAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let list else { throw ResolveError(host: host, reason: String(cString: gai_strerror(rc))) }
        defer { freeaddrinfo(list) }
        var found: [NetworkAddress] = []
        var next: UnsafeMutablePointer<addrinfo>? = list
        while let entry = next {
            next = entry.pointee.ai_next
            guard let raw = entry.pointee.ai_addr, entry.pointee.ai_family == AF_INET || entry.pointee.ai_family == AF_INET6 else { continue }
            let bytes = Array(UnsafeRawBufferPointer(start: raw, count: Int(entry.pointee.ai_addrlen)))
            found.append(NetworkAddress(storage: bytes, family: entry.pointee.ai_family, ip: Self.text(raw, family: entry.pointee.ai_family)))
        }
        guard !found.isEmpty else { throw ResolveError(host: host, reason: "no IPv4 or IPv6 address") }
        return found.filter { $0.family == AF_INET } + found.filter { $0.family == AF_INET6 }
    }

    /// False for addresses a server should not call on a user's behalf: loopback, private
    /// (RFC 1918, unique-local IPv6), link-local, carrier-grade NAT, unspecified, multicast and
    /// reserved ranges, including IPv4 written as IPv4-mapped IPv6.
    public var isPublic: Bool {
        let bytes = addressBytes
        if family == AF_INET { return Self.isPublicIPv4(bytes) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return Self.isPublicIPv4(Array(bytes[12..<16]))  // ::ffff:a.b.c.d
        }
        if bytes.allSatisfy({ $0 == 0 }) { return false }  // ::
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return false }  // ::1
        if bytes[0..<12].allSatisfy({ $0 == 0 }) { return Self.isPublicIPv4(Array(bytes[12..<16])) }  // ::a.b.c.d (deprecated)
        if bytes[0..<12] == [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] {
            return Self.isPublicIPv4(Array(bytes[12..<16]))  // 64:ff9b::/96, NAT64 to a.b.c.d
        }
        if bytes[0..<6] == [0, 0x64, 0xff, 0x9b, 0, 1] { return false }  // 64:ff9b:1::/48, local NAT64
        if bytes[0] == 0x20 && bytes[1] == 0x02 { return Self.isPublicIPv4(Array(bytes[2..<6])) }  // 2002::/16, 6to4
        if bytes[0..<4] == [0x20, 0x01, 0, 0] { return false }  // 2001::/32, Teredo (hides the IPv4 peer)
        if bytes[0] & 0xfe == 0xfc { return false }  // fc00::/7 unique local
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return false }  // fe80::/10 link-local
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0xc0 { return false }  // fec0::/10 site-local (deprecated)
        if bytes[0] == 0xff { return false }  // multicast
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8 { return false }  // documentation
        return true
    }

    static func isPublicIPv4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1]) {
        case (0, _), (10, _), (127, _): false
        case (100, 64...127): false  // carrier-grade NAT
        case (169, 254): false  // link-local, cloud metadata
        case (172, 16...31), (192, 168): false
        case (192, 0) where b[2] == 0 || b[2] == 2: false  // IETF protocol assignments, TEST-NET-1
        case (198, 18...19): false  // benchmarking
        case (198, 51) where b[2] == 100, (203, 0) where b[2] == 113: false  // TEST-NET-2, -3
        case (224...255, _): false  // multicast, reserved, broadcast
        default: true
        }
    }

    /// The 4 or 16 address bytes.
    var addressBytes: [UInt8] {
        storage.withUnsafeBytes { raw in
            if family == AF_INET {
                let address = raw.load(as: sockaddr_in.self).sin_addr
                return withUnsafeBytes(of: address) { Array($0) }
            }
            let address = raw.load(as: sockaddr_in6.self).sin6_addr
            return withUnsafeBytes(of: address) { Array($0) }
        }
    }

    private static func text(_ raw: UnsafePointer<sockaddr>, family: Int32) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if family == AF_INET {
            raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { var a = $0.pointee.sin_addr; _ = inet_ntop(AF_INET, &a, &text, socklen_t(text.count)) }
        } else {
            raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { var a = $0.pointee.sin6_addr; _ = inet_ntop(AF_INET6, &a, &text, socklen_t(text.count)) }
        }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

/// A host name that did not resolve.
public struct ResolveError: Error, Sendable, CustomStringConvertible {
    public let host: String
    public let reason: String
    public var description: String { "cannot resolve \(host): \(reason)" }
}

extension Socket {
    /// A blocking connection to `address`, given up after `timeout` seconds; reads and writes
    /// then time out after `timeout` too. The corresponding C functions are `socket`,
    /// `connect` (non-blocking, then `poll`) and `setsockopt(SO_RCVTIMEO, SO_SNDTIMEO)`.
    public static func connect(to address: NetworkAddress, timeout: Double) throws(Errno) -> Socket {
        let fd = try valueOrErrno { Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let connection = Socket(fileDescriptor: fd)
        let rc = address.storage.withUnsafeBytes { raw in
            Glibc.connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        if rc == -1 && errno != EINPROGRESS {
            let error = Errno.current
            connection.close()
            throw error
        }
        if rc == -1 {
            let ready = Poll.wait(fd, for: .writable, timeout: timeout)
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
            if ready.isEmpty || failure != 0 {
                connection.close()
                throw ready.isEmpty ? Errno(rawValue: ETIMEDOUT) : Errno(rawValue: failure)
            }
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        connection.setTimeouts(seconds: timeout)
        try? connection.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        return connection
    }

    /// How long a blocking read or write may wait (at least a millisecond). The corresponding C
    /// function is `setsockopt(SO_RCVTIMEO, SO_SNDTIMEO)`.
    public func setTimeouts(seconds: Double) {
        let seconds = max(0.001, seconds)
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1e6))
        setsockopt(fileDescriptor, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fileDescriptor, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
}
