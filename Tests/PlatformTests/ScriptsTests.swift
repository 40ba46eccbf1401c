import Glibc
import Platform
import Testing

/// scripts/test and scripts/run build through scripts/lib/build.sh: a failed build must stop
/// them, never let them go on with an older binary.
@Suite("Scripts")
struct ScriptsTests {
    static let root: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// The exit status of `bash -c` running `script` after sourcing the build helper, with a fake
    /// `swift` that prints a compiler error and exits `swiftStatus`; `reached` says whether the
    /// line after the build ran.
    static func build(swiftStatus: Int) throws -> (status: Int32, reached: Bool) {
        let folder = "/tmp/anneal-scripts-test-\(Environment.processID)-\(swiftStatus)"
        defer { _ = system("rm -rf \(folder)") }
        #expect(system("mkdir -p \(folder) && printf '#!/bin/sh\\necho \"error: no such module\"\\nexit \(swiftStatus)\\n' > \(folder)/swift && chmod +x \(folder)/swift") == 0)
        let marker = folder + "/reached"
        let status = system("cd \(root) && PATH=\(folder):$PATH bash -c 'set -euo pipefail; . scripts/lib/build.sh; swift_build -c release; touch \(marker)' 2>/dev/null")
        return (status, Files.exists(marker))
    }

    @Test("A failed build stops the script")
    func failedBuildStops() throws {
        let (status, reached) = try Self.build(swiftStatus: 1)
        #expect(status != 0)
        #expect(!reached)
    }

    @Test("A build that succeeds lets the script go on, even when it printed an error line")
    func goodBuildGoesOn() throws {
        let (status, reached) = try Self.build(swiftStatus: 0)
        #expect(status == 0)
        #expect(reached)
    }

    @Test("scripts/test and scripts/run build only through swift_build")
    func scriptsUseTheHelper() throws {
        for name in ["scripts/test", "scripts/run"] {
            let text = String(decoding: try #require(Files.read(Self.root + "/" + name)), as: UTF8.self)
            let lines = text.split(separator: "\n").filter { !$0.trimmingPrefix(" ").hasPrefix("#") }
            #expect(!lines.contains { $0.contains("swift build") }, "\(name) runs swift build directly")
            #expect(lines.contains { $0.hasPrefix("swift_build ") }, "\(name) does not build through swift_build")
        }
    }
}
