import Glibc
@testable import HTTP
import Platform
import Testing
import TestSupport

/// The server speaking TLS itself (`ServerConfiguration.tls`), checked with curl against a
/// certificate the test makes.
@Suite("TLS in the server", .serialized)
struct TLSServerTests {
    @Test("curl over TLS 1.2 and 1.3: keep-alive, a 5 MiB streamed body, a bad request; TLS 1.1 and plain HTTP are refused and the server stays up")
    func curlOverTLS() throws {
        let folder = try Shell.temporaryFolder()
        defer { _ = system("rm -rf '\(folder)'") }
        try Shell.makeCertificate(in: folder, subjectAltName: "DNS:localhost,IP:127.0.0.1")
        let context = try TLSContext(certificateFile: folder + "/cert.pem", keyFile: folder + "/key.pem")
        let server = try TestServer { $0.tls = context }
        let base = "https://127.0.0.1:\(server.port)"
        let options = "-sS --max-time 20 --cacert '\(folder)/cert.pem'"
        let curl = "curl \(options)"

        for version in ["--tlsv1.2 --tls-max 1.2", "--tlsv1.3"] {
            // Two requests on one connection; the second is a POST with a body.
            let out = try Shell.output("""
                \(curl) \(version) -w ' %{http_code} %{num_connects} %{ssl_verify_result}\\n' '\(base)/fast' \
                    --next \(options) \(version) -w ' %{http_code} %{num_connects}\\n' -X POST --data-binary 'over tls' '\(base)/echo'
                """)
            #expect(out == "fast 200 1 0\nover tls 200 0\n", "\(version): \(out)")
        }
        // 80 chunks of 64 KiB: partial TLS writes against a slow reader still deliver every byte.
        let big = try Shell.output("\(curl) --limit-rate 2M -o '\(folder)/big' -w '%{http_code} %{size_download}' '\(base)/big'")
        #expect(big == "200 5242880", "\(big)")
        let bytes = try #require(Files.read(folder + "/big"))
        #expect(bytes.count == 5_242_880 && bytes[64 * 1024 * 79] == 79)
        // A bad request gets its 4xx over TLS too.
        #expect(try Shell.output("\(curl) -o /dev/null -w '%{http_code}' -X POST --data-binary @'\(folder)/big' '\(base)/echo'") == "413")

        // Refused: TLS 1.1, and plain HTTP on the TLS port (the connection is closed).
        #expect(throws: (any Error).self) { try Shell.run("\(curl) --tlsv1.1 --tls-max 1.1 '\(base)/fast' 2>/dev/null") }
        let plain = try TestClient(port: server.port, timeout: 5)
        try plain.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(((try? plain.readResponse()) ?? nil) == nil, "no HTTP answer without TLS")
        #expect(try Shell.output("\(curl) '\(base)/fast'") == "fast", "still serving")
    }

    @Test("A key that does not match the certificate, or a missing file, is a clear error")
    func badFiles() throws {
        let folder = try Shell.temporaryFolder()
        defer { _ = system("rm -rf '\(folder)'") }
        try Shell.run("""
            for name in a b; do openssl req -x509 -newkey rsa:2048 -nodes -keyout '\(folder)/'$name.key -out '\(folder)/'$name.pem \
                -days 1 -subj /CN=x 2>/dev/null; done
            """)
        #expect(throws: TLSError.self) { try TLSContext(certificateFile: folder + "/a.pem", keyFile: folder + "/b.key") }
        do {
            _ = try TLSContext(certificateFile: folder + "/missing.pem", keyFile: folder + "/a.key")
            Issue.record("a missing certificate loaded")
        } catch {
            #expect(error.description.contains("missing.pem"))
        }
    }
}
