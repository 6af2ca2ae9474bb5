-- A workshop's log epoch: a random number that names one history of its event log. It changes
-- whenever that history is rewritten (an erasure clears the log, a restore brings back an older
-- one), so that a client resuming by sequence number with the epoch it was welcomed with gets a
-- fresh snapshot instead of a replay from a log that is no longer the one it saw. Random, not a
-- counter: a restored backup must not bring back a value some client already holds. 0 means
-- "not drawn yet"; the server draws one the first time a room opens (deliberation.LogEpoch).
ALTER TABLE workshops ADD COLUMN log_epoch BIGINT NOT NULL DEFAULT 0;
