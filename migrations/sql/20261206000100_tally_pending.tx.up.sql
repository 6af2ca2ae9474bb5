-- The contributions whose tally changed and is not in the log yet: marked in the transaction
-- of the vote, cleared in the transaction of the tally event, and tallied when a room starts,
-- so that a crash between a vote and its coalesced tally leaves no client at the old tally.
-- seq is the workshop's last sequence number when the mark was set: a tally that read the votes
-- up to some seq clears only the marks it covers.
CREATE TABLE tally_pending (
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    contribution_id BIGINT NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    PRIMARY KEY (workshop_id, contribution_id)
);
