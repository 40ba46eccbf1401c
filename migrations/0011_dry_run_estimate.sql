-- The latest dry-run estimate for a job setup (model, files, hyperparameters), so that a job
-- with the same setup can compare its real duration with what the dry run predicted.
CREATE TABLE fine_tuning_estimate (
    tenant_id   text NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    setup       text NOT NULL,      -- SHA-256 of the setup (DryRun.setup)
    estimate    jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, setup)
);
