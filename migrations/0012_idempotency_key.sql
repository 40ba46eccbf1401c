-- Idempotency-Key on POST /v1/fine_tuning/jobs: the first request with a key creates the job
-- and records it here in the same transaction; a retry with the key and the same body gets
-- that job back, with another body a 422. Keys are kept for 24 hours (the maintainer prunes).
CREATE TABLE idempotency_key (
    tenant_id       text NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    route           text NOT NULL,
    key             text NOT NULL,
    request_sha256  text NOT NULL,
    resource_id     text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, route, key),
    CONSTRAINT idempotency_key_length CHECK (char_length(key) BETWEEN 1 AND 255)
);
CREATE INDEX idempotency_key_created ON idempotency_key (created_at);
