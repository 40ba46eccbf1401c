-- A job trained across N processes (MPI ranks, one per node): `anneal mpi-worker` gangs of N
-- ranks claim the jobs with nodes = N once their files are validated; ordinary workers claim
-- the rest (and validate every job's files).
ALTER TABLE fine_tuning_job ADD COLUMN nodes smallint NOT NULL DEFAULT 1;
ALTER TABLE fine_tuning_job ADD CONSTRAINT job_nodes_in_range CHECK (nodes BETWEEN 1 AND 64);
