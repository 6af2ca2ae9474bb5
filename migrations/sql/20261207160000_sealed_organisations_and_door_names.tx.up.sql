-- An organisation's name is typed by people and may name one ("Zoé, indépendante"), and a name
-- typed on a join request at the door is a person's name: both are stored sealed
-- (internal/seal), each with a key of its own kept here, apart, so that deleting the row
-- deletes the key and what the database's files, its write-ahead log and its backups keep
-- of the name is ciphertext nobody can open (docs/privacy.md).
--
-- The key of an organisation's name lives as long as the organisation: while anyone refers to
-- it, including an erased person who agreed to keep it on what they said.
CREATE TABLE organisation_keys (
    organisation_id BIGINT PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
    org_key TEXT NOT NULL,
    created_at {{.Time}} NOT NULL
);
--bun:split
-- Two people who type the same organisation must land in one: organisations.name_key keeps a
-- keyed hash of the folded name (not the folded name itself), under a key per process kept
-- here. An erasure draws a new one and hashes the remaining names again, so the hash left in
-- a deleted row can no longer be matched against a guess.
CREATE TABLE organisation_tag_keys (
    process_id BIGINT PRIMARY KEY REFERENCES processes (id) ON DELETE CASCADE,
    tag_key TEXT NOT NULL,
    created_at {{.Time}} NOT NULL
);
--bun:split
-- The key of the name typed on one join request: it goes with the request (settled, expired
-- or erased).
CREATE TABLE join_request_keys (
    request_id BIGINT PRIMARY KEY REFERENCES join_requests (id) ON DELETE CASCADE,
    request_key TEXT NOT NULL,
    created_at {{.Time}} NOT NULL
);
