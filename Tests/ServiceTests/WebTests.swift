import Glibc
import Platform
import HTTP
@testable import Service
import Testing
import TestSupport

@Suite("Dashboard files")
struct WebTests {
    @Test("Each file of web/ is embedded as it is (run scripts/embed-web after editing them)")
    func embeddedMatchesFolder() throws {
        let folder = repositoryRoot + "/web"
        guard let directory = opendir(folder) else { Issue.record("no web/ folder"); return }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if !name.hasPrefix(".") { names.append(name) }
        }
        #expect(Set(embeddedWeb.keys) == Set(names.map { "/" + $0 }), "stale: run scripts/embed-web")
        for name in names {
            let onDisk = try #require(Files.read(folder + "/" + name))
            #expect(Array(embeddedWeb["/" + name]?.text.utf8 ?? "".utf8) == onDisk, "web/\(name) is stale: run scripts/embed-web")
        }
    }

    @Test("The page and its scripts are served without a key, with a strict Content-Security-Policy")
    func served() throws {
        let harness = try APIHarness()
        let page = try TestClient(port: harness.port).request("GET", "/")
        #expect(page.status == 200 && page.headers["Content-Type"] == "text/html; charset=utf-8")
        #expect(page.text.contains("<script src=\"/app.js\" defer></script>"))
        #expect(page.headers["Content-Security-Policy"]?.contains("default-src 'self'") == true)
        #expect(page.headers["X-Content-Type-Options"] == "nosniff")
        for script in ["/app.js", "/job.js", "/chart.js"] {
            let response = try TestClient(port: harness.port).request("GET", script)
            #expect(response.status == 200 && response.headers["Content-Type"] == "text/javascript; charset=utf-8", "\(script)")
        }
        #expect(try TestClient(port: harness.port).request("GET", "/v1/fine_tuning/jobs").status == 401, "the API still needs a key")
    }
}
