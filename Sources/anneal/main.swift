import Jobs
import Models
import Platform
import Service
import Store
import Tokenizers

// anneal: fine-tune pretrained transformers and serve them over HTTP.
// Subcommands are parsed by hand (swift-argument-parser links Foundation); settings come from
// the environment and flags override them (see Configuration).

let version = Build.version

let usage = """
    anneal \(version): fine-tune pretrained transformer models and serve them over HTTP

    Usage: anneal COMMAND [FLAGS]

    Commands:
      serve                      HTTP API plus ANNEAL_WORKERS training workers (0 = API only)
      worker                     training workers only (for separate pods)
      mpi-worker                 one rank of a gang training jobs with "nodes": N across N
                                 processes: mpirun -n N anneal mpi-worker (builds with ANNEAL_MPI=1)
      migrate                    apply database migrations and exit
      keys create --tenant NAME  create an API key for a tenant; prints it once
      tokenize --model NAME_OR_PATH [--special]
                                 UTF-8 lines on stdin to one JSON array of token ids per line;
                                 NAME is a base model of ANNEAL_MODELS, a path a folder or .gguf
      predict --model ID [--raw-scores] [--top-k K]
                                 a fine-tuned classifier on UTF-8 lines of stdin; one JSON
                                 line [{"label","score"}] per line. With DATABASE_URL set it
                                 runs here, otherwise on the server at ANNEAL_URL

    Client commands (a server at ANNEAL_URL, default http://127.0.0.1:8080, with the key
    ANNEAL_API_KEY; or --url and --api-key):
      files upload PATH          upload a JSONL dataset for fine-tuning; prints the file
      jobs create --model MODEL --training-file FILE_ID_OR_PATH [--validation-file …]
                  [--suffix S] [--seed N] [--nodes N] [--hyperparameters JSON] [--follow | --dry-run]
                                 start a fine-tuning job (a path is uploaded first); prints its
                                 id. --dry-run checks it and estimates its duration and memory
                                 on the server's node instead
      jobs list [--limit N]      the latest jobs with status and progress
      jobs get|cancel|pause|resume JOB_ID
      jobs follow JOB_ID         live events with a progress bar (step, loss, throughput, ETA);
                                 exits 0 when the job succeeds, 1 when it fails, 3 if cancelled
      version                    print the version
      help                       print this help

    Flags (each overrides its environment variable):
    \(Configuration.usageOfFlags)
    """

func fail(_ message: String) -> Never {
    Console.error("anneal: \(message)\n")
    Console.exit(2)
}

/// The service's settings from the environment and `flags`; `database` false for the commands
/// that do not need one.
func loadConfiguration(_ flags: [String], database: Bool = true) -> Configuration {
    do {
        let configuration = try Configuration.load(flags: flags)
        guard !database || !configuration.databaseURL.isEmpty else { fail("DATABASE_URL is not set (or pass --database-url)") }
        Log.level = configuration.logLevel
        return configuration
    } catch {
        fail(error.description)
    }
}

func migrate(_ configuration: Configuration) {
    do {
        let connection = try Connection(url: configuration.databaseURL)
        let applied = try Migrator.migrate(connection, embeddedMigrations)
        Log.info("migrated", [("applied", .string(applied.map(String.init).joined(separator: ","))),
                              ("version", .int(embeddedMigrations.map(\.version).max() ?? 0))])
    } catch {
        fail("migration failed: \(String(reflecting: error))")
    }
}

/// `serve`: the HTTP API with its workers.
func serve(_ configuration: Configuration) -> Never {
    Signals.blockTermination()
    migrate(configuration)
    EngineThreads.use(configuration.threads)
    let application = Application(configuration: configuration)
    do {
        try application.start()
    } catch {
        fail("cannot start: \(error)")
    }
    let signal = Signals.waitForTermination()
    Log.info("shutting down", [("signal", .int(Int(signal))), ("grace_seconds", .double(configuration.shutdownGrace))])
    application.stop()
    Console.exitSkippingTeardown(0)
}

/// `worker`: training workers and the maintainer alone, no HTTP application.
func work(_ configuration: Configuration) -> Never {
    Signals.blockTermination()
    migrate(configuration)
    EngineThreads.use(configuration.threads)
    let catalog = ModelCatalog(folder: configuration.models)
    let jobs = JobWorkers(databaseURL: configuration.databaseURL, workers: max(configuration.workers, 1),
                          lease: Double(configuration.leaseSeconds), registry: TrainerRegistry.standard(catalog: catalog),
                          webhooks: configuration.webhooks)
    jobs.start()
    Log.info("working", [("models", .int(catalog.models.count)), ("workers", .int(max(configuration.workers, 1)))])
    let signal = Signals.waitForTermination()
    Log.info("shutting down", [("signal", .int(Int(signal))), ("grace_seconds", .double(configuration.shutdownGrace))])
    let released = jobs.stop(grace: configuration.shutdownGrace)
    Log.info("stopped", [("jobs_released", .bool(released))])
    Console.exitSkippingTeardown(0)
}

/// The subcommand's flags, or a usage error.
func parse(_ arguments: [String], valued: Set<String> = [], switches: Set<String> = []) -> Flags {
    do { return try Flags(arguments, valued: valued, switches: switches) } catch { fail(error.description) }
}

func createKey(_ arguments: [String]) {
    let flags = parse(arguments, valued: ["tenant"])
    guard let tenant = flags["tenant"], !tenant.isEmpty, tenant.utf8.count <= 128 else { fail("keys create needs --tenant NAME (1 to 128 bytes)") }
    let configuration = loadConfiguration(flags.rest)
    do {
        let key = try APIKeys.create(tenant: tenant, databaseURL: configuration.databaseURL)
        print(key)
    } catch {
        fail("cannot create key: \(String(reflecting: error))")
    }
}

func tokenize(_ arguments: [String]) {
    let flags = parse(arguments, valued: ["model"], switches: ["special"])
    let special = flags.has("special")
    guard let model = flags["model"], !model.isEmpty else { fail("usage: anneal tokenize --model NAME_OR_PATH [--special]") }
    let configuration = loadConfiguration(flags.rest, database: false)
    let catalog = ModelCatalog(folder: configuration.models)
    let path = catalog.model(named: model)?.path ?? model
    guard Files.exists(path) else {
        let known = catalog.models.map(\.name).joined(separator: ", ")
        fail("tokenize: \(model) is neither a base model (\(known.isEmpty ? "none found" : known)) nor a path")
    }
    var tokenizer: Tokenizer
    do {
        tokenizer = try TokenizerLoader.load(path: path)
        tokenizer.truncation = nil
        tokenizer.padding = nil
    } catch {
        fail("tokenize: \(error)")
    }
    var number = 0
    for line in Console.InputLines() {
        number += 1
        var text = ""
        var decoder = UTF8()
        var iterator = line.makeIterator()
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): text.unicodeScalars.append(scalar)
            case .emptyInput: break decoding
            case .error: fail("tokenize: line \(number) of standard input is not valid UTF-8")
            }
        }
        let ids = tokenizer.encodeIDs(text, addSpecialTokens: special)
        print("[" + ids.map(String.init).joined(separator: ",") + "]")
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
let predictsHere = arguments.first == "predict" && Environment["DATABASE_URL"] != nil
if let reason = CPU.unsupported, ["serve", "worker", "mpi-worker"].contains(arguments.first ?? "") || predictsHere {  // the commands that run the engine
    fail(reason)
}
switch arguments.first {
case "serve":
    serve(loadConfiguration(Array(arguments.dropFirst())))
case "worker":
    work(loadConfiguration(Array(arguments.dropFirst())))
case "mpi-worker":
    mpiWork(loadConfiguration(Array(arguments.dropFirst())))
case "migrate":
    migrate(loadConfiguration(Array(arguments.dropFirst())))
case "keys":
    guard arguments.count >= 2, arguments[1] == "create" else { fail("usage: anneal keys create --tenant NAME") }
    createKey(Array(arguments.dropFirst(2)))
case "tokenize":
    tokenize(Array(arguments.dropFirst()))
case "predict":
    if predictsHere || arguments.contains(where: { $0.hasPrefix("--database-url") }) {
        predict(Array(arguments.dropFirst()))
    } else {
        predictRemotely(Array(arguments.dropFirst()))
    }
case "jobs":
    JobsCommand.run(Array(arguments.dropFirst()))
case "files":
    JobsCommand.files(Array(arguments.dropFirst()))
case "version", "--version":
    print("anneal \(version)")
case "help", "--help", "-h", nil:
    print(usage)
default:
    fail("unknown command \"\(arguments[0])\"; see anneal help")
}
