// OpenMPI's C library (libopenmpi-dev), for builds with ANNEAL_MPI=1. Its handles
// (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are macros over internal symbols that Swift does
// not import: these functions hand them over.
#include <mpi.h>

static inline MPI_Comm anneal_mpi_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype anneal_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype anneal_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype anneal_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype anneal_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op anneal_mpi_sum(void) { return MPI_SUM; }
static inline void *anneal_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *anneal_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Request anneal_mpi_request_null(void) { return MPI_REQUEST_NULL; }
