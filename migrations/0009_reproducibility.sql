-- What a job's result depends on, recorded when it first starts training: the SHA-256 of its
-- files and of its base model's files, the build's version, the seed, the engine's thread
-- count and every resolved hyperparameter (GET .../manifest). A rerun names the job it repeats.
ALTER TABLE fine_tuning_job
    ADD COLUMN reproducibility jsonb,
    ADD COLUMN rerun_of text REFERENCES fine_tuning_job (id) ON DELETE SET NULL;
