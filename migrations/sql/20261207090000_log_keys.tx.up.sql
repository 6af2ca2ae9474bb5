-- The keys of the workshops' event logs (deliberation/logseal.go): the events whose payload
-- may name a person (a contribution's author label, a comment's, a group's members ...) are
-- stored encrypted with the key of their workshop's log epoch. An erasure deletes the events
-- and these keys together and draws a new epoch, so what the database's files, its
-- write-ahead log and its backups keep of those payloads is ciphertext nobody can open.
-- Kept apart from the events so that the key's table is small enough to rewrite at once.
CREATE TABLE log_keys (
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    epoch BIGINT NOT NULL,
    log_key TEXT NOT NULL,
    created_at {{.Time}} NOT NULL,
    PRIMARY KEY (workshop_id, epoch)
);
