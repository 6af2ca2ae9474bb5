-- Break-out group work and the plenary synthesis.
--
-- contribution_outputs: what a group's rapporteur (or a moderator) marked as the group's output.
CREATE TABLE contribution_outputs (
    contribution_id BIGINT PRIMARY KEY REFERENCES contributions (id) ON DELETE CASCADE,
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    marked_by BIGINT REFERENCES participants (id) ON DELETE SET NULL,
    created_at {{.Time}} NOT NULL
);
--bun:split
CREATE INDEX contribution_outputs_workshop_idx ON contribution_outputs (workshop_id);
--bun:split
-- contribution_provenance: which groups said a contribution that reached the plenary (promoted,
-- or merged from several groups). The group's name and colour are copied: a later split may
-- delete the group, and the notebook must still say who said it.
CREATE TABLE contribution_provenance (
    contribution_id BIGINT NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    group_id BIGINT REFERENCES breakout_groups (id) ON DELETE SET NULL,
    group_name TEXT NOT NULL,
    group_colour TEXT NOT NULL,
    source_id BIGINT REFERENCES contributions (id) ON DELETE SET NULL,
    PRIMARY KEY (contribution_id, position)
);
--bun:split
CREATE INDEX contribution_provenance_workshop_idx ON contribution_provenance (workshop_id);
--bun:split
-- plenary_items: a plenary vote on one contribution (adopt / reject / abstain). The counts are
-- written when the vote closes; reopening clears them.
CREATE TABLE plenary_items (
    id {{.ID}},
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    contribution_id BIGINT NOT NULL UNIQUE REFERENCES contributions (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    opened_at {{.Time}} NOT NULL,
    closed_at {{.Time}},
    adopt INTEGER NOT NULL DEFAULT 0,
    reject INTEGER NOT NULL DEFAULT 0,
    abstain INTEGER NOT NULL DEFAULT 0,
    voters INTEGER NOT NULL DEFAULT 0,
    eligible INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT ''
);
--bun:split
CREATE INDEX plenary_items_workshop_idx ON plenary_items (workshop_id, status);
--bun:split
-- plenary_ballots: each person's current choice on an open plenary item. Like votes, who chose
-- what is never sent to anyone but the voter.
CREATE TABLE plenary_ballots (
    item_id BIGINT NOT NULL REFERENCES plenary_items (id) ON DELETE CASCADE,
    participant_id BIGINT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    choice TEXT NOT NULL,
    updated_at {{.Time}} NOT NULL,
    PRIMARY KEY (item_id, participant_id)
);
