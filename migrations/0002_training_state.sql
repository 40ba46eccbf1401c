-- Training state: the metrics series of a job, and checkpoint contents stored in chunks whose
-- SHA-256 is checked on read.

CREATE TABLE fine_tuning_job_metric (
    job_id      text NOT NULL REFERENCES fine_tuning_job (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    step        integer NOT NULL,
    epoch       double precision NOT NULL,
    metrics     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, kind, step),
    CONSTRAINT metric_kind_known CHECK (kind IN ('train', 'eval')),
    CONSTRAINT metric_step_positive CHECK (step >= 0)
);

ALTER TABLE fine_tuning_job_checkpoint
    ADD COLUMN epoch double precision NOT NULL DEFAULT 0,
    ADD COLUMN state jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN bytes bigint NOT NULL DEFAULT 0,
    ADD COLUMN is_best boolean NOT NULL DEFAULT false;

-- One row per chunk of each named part (weights, optimizer, ...) of a checkpoint.
CREATE TABLE fine_tuning_job_checkpoint_chunk (
    checkpoint_id   text NOT NULL REFERENCES fine_tuning_job_checkpoint (id) ON DELETE CASCADE,
    part            text NOT NULL,
    seq             integer NOT NULL,
    sha256          text NOT NULL,
    data            bytea NOT NULL,
    PRIMARY KEY (checkpoint_id, part, seq),
    CONSTRAINT chunk_seq_positive CHECK (seq >= 0),
    CONSTRAINT chunk_sha256_hex CHECK (sha256 ~ '^[0-9a-f]{64}$')
);
