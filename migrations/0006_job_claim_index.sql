-- The claim query takes waiting jobs in (priority, scheduled_at, id) order: this partial index
-- holds exactly the claimable rows in that order, so a claim reads one index entry instead of
-- sorting the table. The `queue` column was never used (every job ran on one queue) and goes;
-- `priority` is now set by the job request (1, the default, first; 4 last).
DROP INDEX fine_tuning_job_fetch;
ALTER TABLE fine_tuning_job DROP COLUMN queue;
CREATE INDEX fine_tuning_job_claimable ON fine_tuning_job (priority, scheduled_at, id)
    WHERE locked_by IS NULL AND status IN ('validating_files', 'queued');
