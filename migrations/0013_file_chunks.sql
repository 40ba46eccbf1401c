-- File contents in chunks of at most 8 MiB (file_chunk) instead of one bytea: no value comes near
-- PostgreSQL's 1 GiB limit (nor its hex text form near the 500 MiB the old cap allowed), a
-- download reads one chunk at a time, and the largest upload is a setting. A file's row and its
-- chunks are written in one transaction, so a file is listed whole or not at all.
CREATE TABLE file_chunk (
    file_id text NOT NULL REFERENCES file (id) ON DELETE CASCADE,
    seq     integer NOT NULL,
    data    bytea NOT NULL,
    PRIMARY KEY (file_id, seq)
);

INSERT INTO file_chunk (file_id, seq, data) SELECT id, 0, content FROM file;
ALTER TABLE file DROP CONSTRAINT file_bytes_matches;
ALTER TABLE file DROP COLUMN content;
