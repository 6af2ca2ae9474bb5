-- Failed attempts at what must be guessed (a personal code, a sign-in link, a session code),
-- by the address they came from: counted here rather than in each node's memory, so that a
-- cluster of nodes holds an address to one budget. The address is never stored: a row holds
-- an HMAC of it under the key of the hour it was made in (attempt_keys), and the key is
-- deleted with the rows an hour or two later, so that what the database's files and log keep
-- of a swept row links to no address (package attempts).
CREATE TABLE attempt_keys (
    hour BIGINT PRIMARY KEY,
    key TEXT NOT NULL
);
--bun:split
CREATE TABLE failed_attempts (
    kind TEXT NOT NULL,
    tag TEXT NOT NULL,
    at {{.Time}} NOT NULL
);
--bun:split
CREATE INDEX failed_attempts_tag_idx ON failed_attempts (kind, tag, at);
--bun:split
CREATE INDEX failed_attempts_at_idx ON failed_attempts (at);
