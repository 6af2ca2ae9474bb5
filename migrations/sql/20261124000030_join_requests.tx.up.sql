-- A phone that asks to join a session with its short code, waiting for a moderator at the door
-- to say who it is. The typed name is personal data: the row goes as soon as the request is
-- settled or expires.
CREATE TABLE join_requests (
    id {{.ID}},
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL UNIQUE,
    number TEXT NOT NULL,
    name TEXT NOT NULL,
    participant_id BIGINT REFERENCES participants (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    expires_at {{.Time}} NOT NULL,
    created_at {{.Time}} NOT NULL
);
--bun:split
CREATE INDEX join_requests_workshop_idx ON join_requests (workshop_id, status, id);
