import HTTP
import Inference
import JSON
import Jobs
import Models
import Platform
import Store
import Synchronization

/// Wires the API: routes, middleware, the store pool, the model catalog, the HTTP server, and
/// beside them the training workers and the maintainer (`JobWorkers`).
public final class Application: Sendable {
    public let configuration: Configuration
    /// Connections for API handlers.
    public let pool: ConnectionPool
    /// The training workers and the maintainer, on their own connections.
    public let jobs: JobWorkers
    public let catalog: ModelCatalog
    public let tokenizers = TokenizerCache()
    public let metrics = RequestMetrics()
    /// Wakes job event streams on new events.
    let events: EventHub
    public let generation = GenerationMetrics()
    public let embedder = Embedder()
    /// Language models for completions and their fine-tunes, loaded on first use, up to `modelCacheMB`.
    public let languageModels: LanguageModels
    /// Fine-tuned classifiers for /predict, cached up to `modelCacheMB`.
    public let classifier: Classifier
    public var workers: WorkerPool? { jobs.workers }
    /// The bounded queue per model of `/predict`, `/embed` and the completion routes.
    public let inference: ConcurrencyLimit
    private let server = Mutex<Server?>(nil)

    public init(configuration: Configuration, trainers: TrainerRegistry = TrainerRegistry(),
                workerConfiguration: WorkerPool.Configuration? = nil) {
        self.configuration = configuration
        languageModels = LanguageModels(capacityBytes: configuration.modelCacheMB << 20, metrics: generation)
        classifier = Classifier(capacityBytes: configuration.modelCacheMB << 20)
        pool = ConnectionPool(url: configuration.databaseURL, size: 16)
        events = EventHub(databaseURL: configuration.databaseURL)
        catalog = ModelCatalog(folder: configuration.models)
        inference = ConcurrencyLimit(name: "inference", limit: configuration.maxConcurrentRequests, key: Application.modelNamed)
        jobs = JobWorkers(databaseURL: configuration.databaseURL, workers: configuration.workers, lease: Double(configuration.leaseSeconds),
                          registry: TrainerRegistry.standard(catalog: catalog).merging(trainers),
                          settings: workerConfiguration ?? WorkerPool.Configuration(), webhooks: configuration.webhooks)
    }

    /// Every route of the API, behind the store-error and auth middleware.
    public func router() -> Router {
        Router(middleware: [StoreErrorMiddleware(), AuthMiddleware(pool: pool)]) { routes in
            HealthRoutes(pool: pool, metrics: metrics, generation: generation, workers: workers, inference: inference).add(to: &routes)
            WebRoutes().add(to: &routes)
            FileRoutes(pool: pool).add(to: &routes, uploadLimit: configuration.uploadLimit)
            JobRoutes(pool: pool, catalog: catalog, hub: events).add(to: &routes)
            let lookup = ModelLookup(pool: pool, catalog: catalog)
            ModelRoutes(pool: pool, catalog: catalog, lookup: lookup).add(to: &routes)
            WebhookRoutes(webhooks: Webhooks(pool: pool, settings: configuration.webhooks)).add(to: &routes)
            TokenizeRoutes(catalog: catalog, cache: tokenizers).add(to: &routes)
            EmbedRoutes(catalog: catalog, embedder: embedder, tokenizers: tokenizers).add(to: &routes, limit: inference)
            let completions = CompletionRoutes(pool: pool, catalog: catalog, models: languageModels)
            completions.add(to: &routes, limit: inference)
            PredictRoutes(pool: pool, catalog: catalog, lookup: lookup, tokenizers: tokenizers, classifier: classifier, completions: completions)
                .add(to: &routes, limit: inference)
        }
    }

    /// The model a request's JSON body names (at most 128 characters, for the metrics' labels), or "".
    @Sendable static func modelNamed(_ request: HTTPRequest) -> String {
        guard let body = try? JSONValue(parsing: request.body, maxDepth: 64), let name = body["model"]?.string else { return "" }
        return String(name.prefix(128))
    }

    /// Starts the HTTP server, the workers and the maintainer. Returns the bound port.
    @discardableResult
    public func start() throws -> Int {
        var settings = ServerConfiguration()
        settings.host = configuration.host
        settings.port = configuration.port
        settings.maxConnections = configuration.maxConnections
        // Room for inference requests queued at their limit beside the database-bound routes.
        settings.handlerThreads = min(256, max(32, 2 * configuration.maxConcurrentRequests))
        switch (configuration.tlsCertificate, configuration.tlsKey) {
        case (nil, nil): break
        case (let certificate?, let key?): settings.tls = try TLSContext(certificateFile: certificate, keyFile: key)
        default: throw ConfigurationError("ANNEAL_TLS_CERT and ANNEAL_TLS_KEY go together: set both or neither")
        }
        let started = Server(configuration: settings, router: router(), metrics: metrics)
        try started.start()
        server.withLock { $0 = started }
        Log.info("listening", [("host", .string(configuration.host)), ("port", .int(started.port)), ("tls", .bool(settings.tls != nil)),
                               ("models", .int(catalog.models.count)), ("workers", .int(configuration.workers))])
        jobs.start()
        return started.port
    }

    /// Graceful stop: no new connections or claims, in-flight requests finish, running jobs go
    /// back to the queue, the leader resigns. Within `configuration.shutdownGrace` seconds.
    public func stop() {
        let server = self.server.withLock { $0 }
        let grace = configuration.shutdownGrace
        events.stop()  // event streams end, so the server can drain
        // The server drains on its own thread while the workers hand their jobs back.
        let drainedState = ConditionLock<Bool?>(server == nil ? true : nil)
        if let server {
            Thread.spawn(name: "http-drain") {
                let drained = server.shutdown(grace: grace)
                drainedState.withLock { $0 = drained }
                drainedState.broadcast()
            }
        }
        let jobsStopped = jobs.stop(grace: grace)
        let drained = drainedState.withLock(when: { $0 != nil }) { state, _ in state! }
        Log.info("stopped", [("requests_drained", .bool(drained)), ("jobs_released", .bool(jobsStopped))])
    }
}
