// swift-tools-version:6.1
import PackageDescription

// Every target: Swift 6 language mode and MemberImportVisibility (see ../shared/STYLE.md §1).
let settings: [SwiftSetting] = [.enableUpcomingFeature("MemberImportVisibility")]
// The numeric targets are optimised in debug builds too: the test suite runs real models.
let numeric: [SwiftSetting] = settings + [.unsafeFlags(["-O"], .when(configuration: .debug))]

// The engine's element-wise ops are SIMD code: on x86-64 they are compiled for AVX2 and FMA
// (`-target-cpu haswell`, the x86-64-v3 level: Intel since 2013, AMD since 2015), which makes
// the non-GEMM part of a training step about a third faster than baseline SSE2. The binary
// checks the CPU at start-up (`CPU.unsupported`) and says so on an older one;
// `ANNEAL_TARGET_CPU=x86-64 swift build` builds for any x86-64 instead.
#if arch(x86_64)
let targetCPU = Context.environment["ANNEAL_TARGET_CPU"] ?? "haswell"
guard ["haswell", "x86-64"].contains(targetCPU) else { fatalError("ANNEAL_TARGET_CPU must be haswell (the default) or x86-64") }
#else
let targetCPU = ""
#endif
// ANNEAL_FMA: the target has fused multiply-add, so BlockGemm's kernel runs at full speed.
let cpuLevel: [SwiftSetting] = targetCPU == "haswell" ? [.unsafeFlags(["-target-cpu", "haswell"]), .define("ANNEAL_FMA")] : []
let engine: [SwiftSetting] = numeric + cpuLevel
// Platform compiles for any CPU (it runs the check); the define tells it what the engine needs.
let platform: [SwiftSetting] = settings + (targetCPU == "haswell" ? [.define("ANNEAL_ENGINE_X86_64_V3")] : [])

// ANNEAL_MPI=1: one job trained across processes with OpenMPI's C library (libopenmpi-dev):
// the `MPI` target and `anneal mpi-worker`. Without it nothing links MPI.
let mpi = Context.environment["ANNEAL_MPI"] == "1"
let mpiTargets: [Target] = mpi ? [
    .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
    .target(name: "MPI", dependencies: ["CMPI", "Jobs", "Training"], swiftSettings: settings),
] : []

let package = Package(
    name: "anneal",
    platforms: [.macOS(.v15)],
    products: [.executable(name: "anneal", targets: ["anneal"])],
    targets: [
        // MARK: - System libraries (headers only)
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLinux"),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // MARK: - Foundations
        .target(name: "Platform", dependencies: ["COpenSSL", "CLinux"], swiftSettings: platform),
        .target(name: "JSON", swiftSettings: settings),
        .target(name: "GGUF", swiftSettings: settings),

        // MARK: - Tokenizers
        .target(name: "Tokenizers", dependencies: ["JSON", "GGUF"], swiftSettings: numeric),

        // MARK: - Engine (tensors, ops, optimisers, formats, models)
        .target(name: "Tensor", dependencies: ["COpenBLAS", "Platform"], swiftSettings: engine),
        .target(name: "Engine", dependencies: ["Tensor", "JSON", "Platform", "GGUF"], swiftSettings: engine),

        // MARK: - Models (the catalog, tokenizer and base-model loading, for jobs and serving)
        .target(name: "Models", dependencies: ["Store", "Engine", "Tensor", "Tokenizers", "GGUF", "JSON", "Platform"], swiftSettings: settings),
        .target(name: "Inference", dependencies: ["Models", "Store", "Engine", "Tokenizers", "Tensor", "Platform"], swiftSettings: settings),

        // MARK: - Training (datasets, the trainer loop over the engine)
        .target(name: "Training", dependencies: ["Engine", "Tensor", "Tokenizers", "Platform", "JSON"], swiftSettings: settings),

        // MARK: - Server, store, queue
        .target(name: "HTTP", dependencies: ["COpenSSL", "Platform", "JSON"], swiftSettings: settings),
        .target(name: "HTTPClient", dependencies: ["COpenSSL", "Platform"], swiftSettings: settings),
        .target(name: "Store", dependencies: ["CLibPQ", "Platform", "JSON"], swiftSettings: settings),
        .target(name: "Jobs", dependencies: ["Store", "Training", "Models", "HTTPClient", "Platform", "JSON"], swiftSettings: settings),
        .target(name: "Service", dependencies: ["HTTP", "Jobs", "Inference", "Models", "Store", "Tokenizers", "Platform", "JSON"], swiftSettings: settings),

        // MARK: - Executable
        .executableTarget(name: "anneal", dependencies: ["Service", "Jobs", "Models", "Inference", "Store", "Tokenizers", "HTTPClient", "Platform", "JSON"]
                          + (mpi ? ["MPI"] : []), swiftSettings: settings + (mpi ? [.define("ANNEAL_MPI")] : [])),

        // MARK: - Benchmarks (bench/train, bench/infer)
        .executableTarget(name: "anneal-bench", dependencies: ["Engine", "Tensor", "Platform", "Training"], path: "bench/engine", swiftSettings: settings),

        // MARK: - Tests
        .target(name: "TestSupport", dependencies: ["Store", "HTTP", "Platform", "JSON"], swiftSettings: settings),
        .testTarget(name: "PlatformTests", dependencies: ["Platform"], swiftSettings: settings),
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: settings),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "HTTPClient", "Platform", "JSON", "TestSupport"], swiftSettings: settings),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "GGUF", "JSON"], exclude: ["Fixtures"], swiftSettings: settings),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Tensor", "JSON", "Platform", "GGUF"], exclude: ["Fixtures"], swiftSettings: settings + cpuLevel),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Engine", "Tensor", "Tokenizers", "GGUF", "Platform", "JSON", "TestSupport"], exclude: ["Fixtures"], swiftSettings: settings),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "Engine", "Tokenizers", "GGUF", "JSON", "Platform", "TestSupport"], swiftSettings: settings),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Platform", "JSON", "TestSupport"], swiftSettings: settings),
        .testTarget(name: "JobsTests", dependencies: ["Jobs", "Models", "Engine", "Store", "Training", "Tokenizers", "Platform", "JSON", "TestSupport"], swiftSettings: settings),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "Models", "Inference", "Engine", "GGUF", "Tokenizers", "Jobs", "Training", "Store", "HTTP", "Platform", "JSON", "TestSupport"], exclude: ["Fixtures"], swiftSettings: settings),
    ] + mpiTargets
)
