-- A personal link can also be typed as a short code (people.NewCode): only its hash is kept,
-- like the link's token. Links made before have no code.
ALTER TABLE invitations ADD COLUMN code_hash TEXT;
--bun:split
CREATE UNIQUE INDEX invitations_code_hash ON invitations (code_hash) WHERE code_hash IS NOT NULL;
--bun:split
-- What registering for two sessions at the same time does: refuse (the form says which
-- sessions overlap) or warn (the person may confirm that they want both).
ALTER TABLE processes ADD COLUMN overlap_rule TEXT NOT NULL DEFAULT 'refuse';
