-- Which node runs a workshop's ticks (timers, agenda, rounds) when several nodes share one
-- PostgreSQL (cluster/lease.go): the row is the lease, renewed by its node every second or so
-- and taken over by another node once expires_at has passed. Unused on SQLite (one node).
CREATE TABLE workshop_leases (
    workshop_id BIGINT PRIMARY KEY REFERENCES workshops (id) ON DELETE CASCADE,
    node TEXT NOT NULL,
    expires_at {{.Time}} NOT NULL
);
