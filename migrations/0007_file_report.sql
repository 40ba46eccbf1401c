-- What upload validation found, whole: record shape, example count, each label's count and first
-- line. A job's validation phase reads it instead of checking every line of the file again.
-- Files uploaded before get theirs the first time a job validates them.
ALTER TABLE file ADD COLUMN report jsonb;
