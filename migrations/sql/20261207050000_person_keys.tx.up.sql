-- Each person's data key (package internal/seal): their name, email and phone in `people` are
-- encrypted with it, and erasure deletes it, so that what the database files, the write-ahead
-- log and the backups keep of those fields is ciphertext that can no longer be opened.
-- The key is kept apart from the data so that erasing is deleting one small row.
CREATE TABLE person_keys (
    participant_id BIGINT PRIMARY KEY REFERENCES participants (id) ON DELETE CASCADE,
    data_key TEXT NOT NULL,
    created_at {{.Time}} NOT NULL
);
