-- Email waits here until a background sender hands it to the SMTP server: the page that asked
-- for it never waits on SMTP. A message is deleted once sent (its body holds a sign-in link);
-- a failure is retried with exponential backoff and its last error kept for the organisers.
-- Erasing a person deletes their messages (participant_id).
CREATE TABLE outbox (
    id {{.ID}},
    participant_id BIGINT REFERENCES participants (id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{.Time}} NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    failed_at {{.Time}},
    created_at {{.Time}} NOT NULL
);
--bun:split
CREATE INDEX outbox_due_idx ON outbox (failed_at, next_attempt_at);
