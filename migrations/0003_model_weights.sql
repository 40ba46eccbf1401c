-- A fine-tuned model's weights live in one checkpoint of its job (the best one when
-- load_best_model_at_end, else the last); its classification labels are kept with it, so
-- /predict and the download can rebuild the model from the base model's config.

ALTER TABLE model
    ADD COLUMN checkpoint_id text REFERENCES fine_tuning_job_checkpoint (id) ON DELETE SET NULL,
    ADD COLUMN labels jsonb,
    ADD CONSTRAINT model_labels_array CHECK (labels IS NULL OR jsonb_typeof(labels) = 'array');
