import CMPI
import Glibc
import Jobs
import Training

/// The ranks of `MPI_COMM_WORLD` as a training `Collective` (builds with `ANNEAL_MPI=1`).
/// Only the thread that called `start()` makes MPI calls (`MPI_THREAD_FUNNELED`): the gang's
/// main thread, which runs the training loop.
public final class MPICollective: GangCollective, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// Floats per `MPI_Allreduce` call: gradients go in buckets of 16 MB, so no call's count
    /// nears Int32's limit and MPI's own buffers stay bounded.
    let bucket = 4 << 20
    public private(set) var joined = false
    public private(set) var broken = false

    private init(rank: Int, size: Int) { (self.rank, self.size) = (rank, size) }

    /// Initialises MPI (once per process); nil when this process was not started by an MPI
    /// launcher and cannot be a rank.
    public static func start() -> MPICollective? {
        var provided: Int32 = 0
        guard MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided) == MPI_SUCCESS,
              provided >= Int32(MPI_THREAD_FUNNELED) else { return nil }
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(anneal_mpi_world(), &rank)
        MPI_Comm_size(anneal_mpi_world(), &size)
        return MPICollective(rank: Int(rank), size: Int(size))
    }

    public func finish() { MPI_Finalize() }

    public func sum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        var start = 0
        while start < count {
            let n = min(bucket, count - start)
            MPI_Allreduce(anneal_mpi_in_place(), buffer + start, Int32(n), anneal_mpi_float(), anneal_mpi_sum(), anneal_mpi_world())
            start += n
        }
    }

    public func sum(_ values: [Double]) -> [Double] {
        var values = values
        values.withUnsafeMutableBufferPointer { buffer in
            _ = MPI_Allreduce(anneal_mpi_in_place(), buffer.baseAddress, Int32(buffer.count), anneal_mpi_double(), anneal_mpi_sum(),
                              anneal_mpi_world())
        }
        return values
    }

    public func broadcast(_ bytes: [UInt8], from root: Int) -> [UInt8] {
        var count = Int64(bytes.count)
        MPI_Bcast(&count, 1, anneal_mpi_int64(), Int32(root), anneal_mpi_world())
        var data = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count))
        if count > 0 { MPI_Bcast(&data, Int32(count), anneal_mpi_byte(), Int32(root), anneal_mpi_world()) }
        return data
    }

    /// A broadcast whose waiting ranks test it every 10 ms instead of spinning in MPI (OpenMPI's
    /// blocking calls poll at full speed): an idle gang takes no CPU.
    public func waitForBroadcast(_ text: String) -> String {
        // MPI writes the count after MPI_Ibcast returns: a buffer of our own, not `&count`.
        let buffer = UnsafeMutablePointer<Int64>.allocate(capacity: 1)
        defer { buffer.deallocate() }
        buffer.pointee = Int64(text.utf8.count)
        var request = anneal_mpi_request_null()
        MPI_Ibcast(buffer, 1, anneal_mpi_int64(), 0, anneal_mpi_world(), &request)
        var done: Int32 = 0
        while true {
            MPI_Test(&request, &done, anneal_mpi_status_ignore())
            if done != 0 { break }
            usleep(10_000)
        }
        let count = buffer.pointee
        var data = rank == 0 ? Array(text.utf8) : [UInt8](repeating: 0, count: Int(count))
        if count > 0 { MPI_Bcast(&data, Int32(count), anneal_mpi_byte(), 0, anneal_mpi_world()) }
        return String(decoding: data, as: UTF8.self)
    }

    public func join(ready: Bool) -> Bool {
        joined = true
        return sum([ready ? 0 : 1])[0] == 0
    }

    public func leftMidRun() { broken = true }

    public func reset() { (joined, broken) = (false, false) }

    public func abort(_ code: Int32) -> Never {
        MPI_Abort(anneal_mpi_world(), code)
        exit(code)
    }
}
