import Glibc
import Platform
import Testing

@Suite("Signing and addresses (webhooks)")
struct SigningTests {
    @Test("base64 matches RFC 4648's vectors both ways; anything else is refused")
    func base64() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Crypto.base64(Array(plain.utf8)) == encoded)
            #expect(Crypto.base64Decode(encoded) == Array(plain.utf8))
        }
        let random = Crypto.randomBytes(1000)
        #expect(Crypto.base64Decode(Crypto.base64(random)) == random)
        #expect(Crypto.base64Decode("Zm9v!") == nil)
        #expect(Crypto.base64Decode("Z") == nil)
    }

    @Test("HMAC-SHA256 matches RFC 4231 test cases 1 and 2")
    func hmac() {
        #expect(Crypto.hex(Crypto.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(Crypto.hex(Crypto.hmacSHA256(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8)))
            == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(Crypto.constantTimeEqual([1, 2, 3], [1, 2, 3]) && !Crypto.constantTimeEqual([1, 2, 3], [1, 2, 4])
            && !Crypto.constantTimeEqual([1, 2], [1, 2, 3]))
    }

    @Test("Loopback, private, link-local, CGNAT, reserved and mapped addresses are not public")
    func publicAddresses() throws {
        let inward = ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                      "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.1", "::1", "::", "fe80::1", "fd00::1", "::ffff:10.0.0.1",
                      "::ffff:127.0.0.1", "ff02::1", "2001:db8::1",
                      "64:ff9b::a00:1", "64:ff9b:1::1", "::10.0.0.1", "2002:a00:1::1", "2001:0:1::1", "fec0::1"]
        for ip in inward {
            #expect(try NetworkAddress.resolve(host: ip, port: 80).allSatisfy { !$0.isPublic }, "\(ip)")
        }
        for ip in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"] {
            #expect(try NetworkAddress.resolve(host: ip, port: 80).allSatisfy(\.isPublic), "\(ip)")
        }
        let local = try NetworkAddress.resolve(host: "localhost", port: 80)
        #expect(local.contains { $0.ip == "127.0.0.1" || $0.ip == "::1" } && local.allSatisfy { !$0.isPublic })
        #expect(throws: ResolveError.self) { try NetworkAddress.resolve(host: "no-such-host.invalid", port: 80) }
    }
}
