import Platform
import Service
import Testing

@Suite("Configuration from environment and flags")
struct ConfigurationTests {
    let environment: [String: String] = ["DATABASE_URL": "postgresql://db/x", "ANNEAL_PORT": "9000", "ANNEAL_WORKERS": "3"]

    @Test("Environment first, flags override, both flag forms")
    func precedence() throws {
        let configuration = try Configuration.load(flags: ["--port", "9100", "--log-level=debug"]) { environment[$0] }
        #expect(configuration.databaseURL == "postgresql://db/x" && configuration.port == 9100 && configuration.workers == 3)
        #expect(configuration.logLevel == .debug && configuration.host == "0.0.0.0" && configuration.models == "./models")
    }

    @Test("Unknown flags and bad values are one-line errors", arguments: [
        (["--bogus", "1"], "unknown flag --bogus"),
        (["--port", "http"], "port must be an integer from 0 to 65535, not \"http\""),
        (["--workers=-1"], "workers must be an integer from 0 to 256"),
        (["--log-level", "loud"], "log level must be debug, info, warn or error"),
        (["--port"], "--port needs a value"),
        (["stray"], "unexpected argument \"stray\""),
        (["--model-cache-mb", "lots"], "model cache megabytes must be an integer from 1 to 1048576, not \"lots\""),
        (["--threads=0"], "threads must be an integer from 1 to 8"),
    ])
    func errors(flags: [String], message: String) {
        do {
            _ = try Configuration.load(flags: flags) { environment[$0] }
            Issue.record("accepted \(flags)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("A bad environment value is an error too, never a silent default",
          arguments: [("ANNEAL_PORT", "99999"), ("ANNEAL_MODEL_CACHE_MB", "2GB"), ("ANNEAL_THREADS", "many"), ("ANNEAL_THREADS", "9")])
    func badEnvironment(variable: String, value: String) {
        #expect(throws: ConfigurationError.self) { try Configuration.load(flags: []) { $0 == variable ? value : nil } }
    }

    @Test("The model cache and the engine's threads come from the environment")
    func cacheAndThreads() throws {
        let configuration = try Configuration.load(flags: ["--threads", "2"]) { ["ANNEAL_MODEL_CACHE_MB": "64"][$0] }
        #expect(configuration.modelCacheMB == 64 && configuration.threads == 2)
        let defaults = try Configuration.load(flags: []) { _ in nil }
        #expect(defaults.modelCacheMB == 2048 && defaults.threads == min(Environment.processorCount, 8))
    }
}
