-- Weights and optimizer state do not compress: store large values out of line without trying
-- (pglz on float data costs CPU and saves nothing). Uploaded files keep the default, since
-- JSONL compresses well.
ALTER TABLE fine_tuning_job_checkpoint_chunk ALTER COLUMN data SET STORAGE EXTERNAL;
