import Engine
import HTTP
import Inference
import Jobs
import Platform
import Store
import Synchronization

/// Wires the API: routes, middleware, the store pool, the model catalog, the HTTP server, and
/// (for `serve` and `worker`) the training workers and the maintainer.
public final class Application: Sendable {
    public let configuration: Configuration
    /// Connections for API handlers.
    public let pool: ConnectionPool
    /// Connections for workers, heartbeats and the maintainer, so API load can never starve a
    /// heartbeat into losing its lease.
    let jobsPool: ConnectionPool
    public let catalog: ModelCatalog
    public let tokenizers = TokenizerCache()
    public let metrics = RequestMetrics()
    public let generation = GenerationMetrics()
    public let embedder = Embedder()
    /// Language models for completions, loaded on first use, up to `modelCacheMB`.
    public let languageModels: ModelCache<LanguageModel>
    /// LoRA adapters of fine-tuned language models (their bases stay in `languageModels`, once).
    public let adapters = ModelCache<LoRA>(capacityBytes: 512 << 20)
    /// Fine-tuned classifiers for /predict, cached up to `modelCacheMB`.
    public let classifier: Classifier
    public let workers: WorkerPool?
    let maintainer: Maintainer
    private let server = Mutex<Server?>(nil)

    public init(configuration: Configuration, trainers: TrainerRegistry = TrainerRegistry(),
                workerConfiguration: WorkerPool.Configuration? = nil) {
        self.configuration = configuration
        languageModels = ModelCache(capacityBytes: configuration.modelCacheMB << 20)
        classifier = Classifier(capacityBytes: configuration.modelCacheMB << 20)
        pool = ConnectionPool(url: configuration.databaseURL, size: 16)
        jobsPool = ConnectionPool(url: configuration.databaseURL, size: 2 + 2 * configuration.workers)
        catalog = ModelCatalog(folder: configuration.models)
        let queue = JobQueue(pool: jobsPool, lease: Double(configuration.leaseSeconds))
        maintainer = Maintainer(queue: queue)
        var trainers = trainers
        if trainers.trainer(for: "bert") == nil { trainers.register("bert", Self.bertTrainer(catalog: catalog)) }
        for architecture in ["gguf", "llama", "gpt2"] where trainers.trainer(for: architecture) == nil {
            trainers.register(architecture, Self.causalLMTrainer(catalog: catalog))
        }
        var settings = workerConfiguration ?? WorkerPool.Configuration()
        settings.workers = configuration.workers
        workers = settings.workers > 0
            ? WorkerPool(queue: queue, registry: trainers, databaseURL: configuration.databaseURL, configuration: settings)
            : nil
    }

    /// Every route of the API, behind the store-error and auth middleware.
    public func router() -> Router {
        Router(middleware: [StoreErrorMiddleware(), AuthMiddleware(pool: pool)]) { routes in
            HealthRoutes(pool: pool, metrics: metrics, generation: generation, workers: workers).add(to: &routes)
            FileRoutes(pool: pool).add(to: &routes, uploadLimit: configuration.uploadLimit)
            JobRoutes(pool: pool, catalog: catalog).add(to: &routes)
            ModelRoutes(pool: pool, catalog: catalog).add(to: &routes)
            TokenizeRoutes(catalog: catalog, cache: tokenizers).add(to: &routes)
            EmbedRoutes(catalog: catalog, embedder: embedder, tokenizers: tokenizers).add(to: &routes)
            let completions = CompletionRoutes(pool: pool, catalog: catalog, models: languageModels, adapters: adapters, metrics: generation)
            completions.add(to: &routes)
            PredictRoutes(pool: pool, catalog: catalog, tokenizers: tokenizers, classifier: classifier, completions: completions).add(to: &routes)
        }
    }

    /// Starts the HTTP server (unless `http` is false), the workers and the maintainer.
    /// Returns the bound port (0 without HTTP).
    @discardableResult
    public func start(http: Bool = true) throws -> Int {
        if http {
            var settings = ServerConfiguration()
            settings.host = configuration.host
            settings.port = configuration.port
            let started = Server(configuration: settings, router: router(), metrics: metrics)
            try started.start()
            server.withLock { $0 = started }
            Log.info("listening", [("host", .string(configuration.host)), ("port", .int(started.port)),
                                   ("models", .int(catalog.models.count)), ("workers", .int(configuration.workers))])
        }
        workers?.start()
        maintainer.start()
        return server.withLock { $0?.port ?? 0 }
    }

    /// Graceful stop: no new connections or claims, in-flight requests finish, running jobs go
    /// back to the queue, the leader resigns. Within `configuration.shutdownGrace` seconds.
    public func stop() {
        let server = self.server.withLock { $0 }
        let grace = configuration.shutdownGrace
        // The server drains on its own thread while the workers hand their jobs back.
        let drainedState = ConditionLock<Bool?>(server == nil ? true : nil)
        if let server {
            Thread.spawn(name: "http-drain") {
                let drained = server.shutdown(grace: grace)
                drainedState.withLock { $0 = drained }
                drainedState.broadcast()
            }
        }
        let jobsStopped = workers?.shutdown(grace: grace) ?? true
        let drained = drainedState.withLock(when: { $0 != nil }) { state, _ in state! }
        maintainer.resign()
        Log.info("stopped", [("requests_drained", .bool(drained)), ("jobs_released", .bool(jobsStopped))])
    }
}
