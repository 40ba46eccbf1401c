-- Webhooks (Standard Webhooks): a tenant's endpoints and the deliveries owed to them. A
-- delivery row is written in the transaction that produced its event, so none is lost; a
-- deliverer claims due rows with FOR UPDATE SKIP LOCKED, and every attempt is kept.
CREATE TABLE webhook (
    id          text PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    url         text NOT NULL,
    events      text[] NOT NULL,
    -- `whsec_` and base64 of the signing key; the signer needs it, so it is kept as is.
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_url_scheme CHECK (url ~ '^https?://'),
    CONSTRAINT webhook_has_events CHECK (cardinality(events) > 0)
);
CREATE INDEX webhook_tenant ON webhook (tenant_id, created_at);

CREATE TABLE webhook_delivery (
    id              text PRIMARY KEY,            -- msg_…, the webhook-id header: the same on every retry
    webhook_id      text NOT NULL REFERENCES webhook (id) ON DELETE CASCADE,
    event_type      text NOT NULL,
    job_id          text,
    payload         text NOT NULL,               -- the exact bytes signed and sent
    status          text NOT NULL DEFAULT 'pending',
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    CONSTRAINT webhook_delivery_status_known CHECK (status IN ('pending', 'delivered', 'failed'))
);
CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_delivery_webhook ON webhook_delivery (webhook_id, created_at DESC);

CREATE TABLE webhook_attempt (
    delivery_id     text NOT NULL REFERENCES webhook_delivery (id) ON DELETE CASCADE,
    attempt         integer NOT NULL,
    started_at      timestamptz NOT NULL,
    duration_ms     integer NOT NULL,
    response_status integer,
    error           text,
    PRIMARY KEY (delivery_id, attempt)
);
