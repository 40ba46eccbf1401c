import Glibc
import Jobs
import Models
import Platform
import Service
#if ANNEAL_MPI
import MPI
#endif

/// `mpi-worker`: one rank of a gang that trains jobs with `"nodes": N` across N processes. Run
/// N of them with `mpirun -n N anneal mpi-worker` (or a Kubeflow MPIJob, k8s/overlays/mpi).
/// Rank 0 claims and writes. SIGUSR1 (which mpirun passes on to every rank; `anneal-gang` turns
/// the launcher's SIGTERM into it), or SIGTERM to rank 0, hands the running job back after a
/// checkpoint, and every rank exits.
func mpiWork(_ configuration: Configuration) -> Never {
    #if ANNEAL_MPI
    // Open MPI starts threads with every signal unblocked: a handler, not a blocked mask and
    // sigwait, is what keeps a signal from killing a rank.
    Signals.catchTermination(also: [SIGUSR1])
    guard let collective = MPICollective.start() else { fail("mpi-worker: MPI_Init failed (start it with mpirun)") }
    if collective.rank == 0 { migrate(configuration) }
    EngineThreads.use(configuration.threads)
    let catalog = ModelCatalog(folder: configuration.models)
    let gang = GangWorker(collective: collective, databaseURL: configuration.databaseURL, lease: Double(configuration.leaseSeconds),
                          registry: TrainerRegistry.standard(catalog: catalog))
    if collective.rank == 0 {
        Log.info("gang working", [("ranks", .int(collective.size)), ("models", .int(catalog.models.count))])
        Thread.spawn(name: "gang-signals") {
            let signal = Signals.waitForCaughtTermination()
            Log.info("shutting down", [("signal", .int(Int(signal))), ("grace_seconds", .double(configuration.shutdownGrace))])
            gang.stop(grace: configuration.shutdownGrace)
        }
    }
    gang.run()
    collective.finish()
    Console.exitSkippingTeardown(0)
    #else
    fail("mpi-worker: this build has no MPI; build it with ANNEAL_MPI=1 (needs libopenmpi-dev)")
    #endif
}
