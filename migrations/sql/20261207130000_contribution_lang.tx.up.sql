-- The language a contribution was written in ('fr', 'nl', 'en'), chosen by its author on the
-- phone (the phone's interface language unless they change it). '' for contributions posted
-- before this column: no language is claimed for them.
ALTER TABLE contributions ADD COLUMN lang TEXT NOT NULL DEFAULT '';
--bun:split
-- A moderator's translation of a contribution into another language, shown beside it. One per
-- contribution and language; it goes with its contribution, with an edit of its text (the
-- translation would say something else), and with an erasure of its author.
CREATE TABLE contribution_translations (
    contribution_id BIGINT NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    lang TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at {{.Time}} NOT NULL,
    PRIMARY KEY (contribution_id, lang)
);
