-- Anneal's first schema: tenants and API keys, files, fine-tuning jobs (which are also the queue,
-- after River's job table), their events and checkpoints, fine-tuned models, and leader election.

CREATE TABLE tenant (
    id          text PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tenant_id_length CHECK (char_length(id) BETWEEN 1 AND 128)
);

-- Only the SHA-256 of a key is stored; the key itself is printed once by `anneal keys create`.
CREATE TABLE api_key (
    key_sha256  text PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    prefix      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_key_sha256_hex CHECK (key_sha256 ~ '^[0-9a-f]{64}$')
);

CREATE TABLE file (
    id              text PRIMARY KEY,
    tenant_id       text NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    filename        text NOT NULL,
    purpose         text NOT NULL,
    bytes           bigint NOT NULL,
    sha256          text NOT NULL,
    content         bytea NOT NULL,
    -- What upload validation found: record shape, example count, label set (labelled files).
    shape           text,
    example_count   integer,
    labels          jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT file_bytes_matches CHECK (bytes = octet_length(content)),
    CONSTRAINT file_purpose_known CHECK (purpose IN ('fine-tune', 'fine-tune-results', 'batch', 'assistants', 'user_data', 'evals'))
);
CREATE INDEX file_tenant_created ON file (tenant_id, created_at DESC, id DESC);

-- A fine-tuning job is both the API object and the queue row. Claimable when status is
-- validating_files or queued, unlocked and scheduled_at has come; a worker holds it through
-- locked_by and extends lease_expires_at with heartbeats; the rescuer requeues expired leases.
CREATE TABLE fine_tuning_job (
    id                  text PRIMARY KEY,
    tenant_id           text NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    model               text NOT NULL,
    architecture        text NOT NULL,
    training_file       text NOT NULL,
    validation_file     text,
    suffix              text,
    seed                bigint NOT NULL,
    metadata            jsonb,
    method              jsonb NOT NULL,
    hyperparameters     jsonb NOT NULL,
    status              text NOT NULL DEFAULT 'validating_files',
    error               jsonb,
    fine_tuned_model    text,
    trained_tokens      bigint,
    result_files        jsonb NOT NULL DEFAULT '[]',
    progress            jsonb,
    estimated_finish    timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    validated_at        timestamptz,
    finished_at         timestamptz,
    -- queue
    queue               text NOT NULL DEFAULT 'default',
    priority            smallint NOT NULL DEFAULT 1,
    attempt             smallint NOT NULL DEFAULT 0,
    max_attempts        smallint NOT NULL DEFAULT 3,
    scheduled_at        timestamptz NOT NULL DEFAULT now(),
    attempted_at        timestamptz,
    locked_by           text,
    lease_expires_at    timestamptz,
    heartbeat_at        timestamptz,
    errors              jsonb[] NOT NULL DEFAULT '{}',
    CONSTRAINT job_status_known CHECK (status IN
        ('validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'paused')),
    CONSTRAINT job_priority_in_range CHECK (priority BETWEEN 1 AND 4),
    CONSTRAINT job_max_attempts_positive CHECK (max_attempts > 0),
    CONSTRAINT job_lock_has_lease CHECK ((locked_by IS NULL) = (lease_expires_at IS NULL)),
    CONSTRAINT job_finished_when_terminal CHECK
        ((status IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL))
);
CREATE INDEX fine_tuning_job_fetch ON fine_tuning_job (status, queue, priority, scheduled_at, id)
    WHERE locked_by IS NULL;
CREATE INDEX fine_tuning_job_lease ON fine_tuning_job (lease_expires_at) WHERE locked_by IS NOT NULL;
CREATE INDEX fine_tuning_job_tenant_created ON fine_tuning_job (tenant_id, created_at DESC, id DESC);
CREATE INDEX fine_tuning_job_metadata ON fine_tuning_job USING gin (metadata);

CREATE TABLE fine_tuning_job_event (
    seq         bigserial PRIMARY KEY,
    id          text NOT NULL UNIQUE,
    job_id      text NOT NULL REFERENCES fine_tuning_job (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    level       text NOT NULL DEFAULT 'info',
    type        text NOT NULL DEFAULT 'message',
    message     text NOT NULL,
    data        jsonb,
    CONSTRAINT event_level_known CHECK (level IN ('info', 'warn', 'error')),
    CONSTRAINT event_type_known CHECK (type IN ('message', 'metrics'))
);
CREATE INDEX fine_tuning_job_event_job ON fine_tuning_job_event (job_id, seq DESC);

CREATE TABLE fine_tuning_job_checkpoint (
    id                              text PRIMARY KEY,
    job_id                          text NOT NULL REFERENCES fine_tuning_job (id) ON DELETE CASCADE,
    step_number                     integer NOT NULL,
    metrics                         jsonb NOT NULL DEFAULT '{}',
    fine_tuned_model_checkpoint     text NOT NULL,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT checkpoint_step_positive CHECK (step_number >= 0),
    UNIQUE (job_id, step_number)
);

CREATE TABLE model (
    id          text PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    base_model  text NOT NULL,
    job_id      text REFERENCES fine_tuning_job (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX model_tenant ON model (tenant_id, created_at);

-- One leader among the workers runs the rescuer (after River's river_leader).
CREATE UNLOGGED TABLE leader (
    name        text PRIMARY KEY,
    leader_id   text NOT NULL,
    elected_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
