-- The adoption rule of each plenary vote, stated when it opens and printed with its result:
-- a quorum (the fewest ballots, abstentions included, for the vote to decide) and
-- a threshold (the share of the votes cast for and against that "for" must reach; 1/2 means
-- a plain majority). reason says why a vote ended as it did (a tie, below quorum…).
ALTER TABLE plenary_items ADD COLUMN quorum INTEGER NOT NULL DEFAULT 0;
--bun:split
ALTER TABLE plenary_items ADD COLUMN threshold_num INTEGER NOT NULL DEFAULT 1;
--bun:split
ALTER TABLE plenary_items ADD COLUMN threshold_den INTEGER NOT NULL DEFAULT 2;
--bun:split
ALTER TABLE plenary_items ADD COLUMN reason TEXT NOT NULL DEFAULT '';
--bun:split
-- A vote nobody voted for or against decided nothing: it was stored as rejected before.
UPDATE plenary_items SET outcome = 'not_decided', reason = CASE WHEN voters = 0 THEN 'no_ballot' ELSE 'abstained' END
WHERE status = 'closed' AND adopt = 0 AND reject = 0;
--bun:split
UPDATE plenary_items SET reason = 'tie' WHERE status = 'closed' AND outcome = 'rejected' AND adopt = reject;
