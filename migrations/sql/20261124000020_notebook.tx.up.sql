-- The notebook of recommendations (deliberation/notebook): the organisers' editorial layer over
-- what was said, the published versions, and the follow-up committee's record. None of these
-- tables holds personal data: editors and committee members are pseudonymous participant ids,
-- and a published version is a frozen snapshot, so erasing people changes nothing in it.

-- One row per contribution an organiser has touched: a rewording (NULL: the original text),
-- an exclusion, a manual position within its theme (NULL: the computed rank decides).
CREATE TABLE notebook_items (
    process_id BIGINT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    contribution_id BIGINT NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    body TEXT,
    who TEXT,
    how TEXT,
    when_text TEXT,
    excluded BOOLEAN NOT NULL DEFAULT {{.False}},
    position INTEGER,
    updated_at {{.Time}} NOT NULL,
    PRIMARY KEY (process_id, contribution_id)
);
--bun:split
-- The organisers' introduction and conclusion of each theme.
CREATE TABLE notebook_theme_texts (
    process_id BIGINT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    theme_id BIGINT NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
    introduction TEXT NOT NULL DEFAULT '',
    conclusion TEXT NOT NULL DEFAULT '',
    updated_at {{.Time}} NOT NULL,
    PRIMARY KEY (process_id, theme_id)
);
--bun:split
-- Every editorial change, never updated: who (a participant id), when, what (before → after).
CREATE TABLE notebook_edits (
    id {{.ID}},
    process_id BIGINT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    editor_id BIGINT REFERENCES participants (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    contribution_id BIGINT REFERENCES contributions (id) ON DELETE SET NULL,
    theme_id BIGINT REFERENCES themes (id) ON DELETE SET NULL,
    before_text TEXT NOT NULL DEFAULT '',
    after_text TEXT NOT NULL DEFAULT '',
    created_at {{.Time}} NOT NULL
);
--bun:split
CREATE INDEX notebook_edits_process_idx ON notebook_edits (process_id, id);
--bun:split
-- A published version: numbered per process and immutable. It keeps its own copy of every
-- format (and the JSON snapshot they were rendered from), so that nothing edited or erased
-- afterwards can change what was published. The PDF is base64 text: one column type for both
-- databases.
CREATE TABLE notebook_versions (
    id {{.ID}},
    process_id BIGINT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    language TEXT NOT NULL,
    title TEXT NOT NULL,
    published_by BIGINT REFERENCES participants (id) ON DELETE SET NULL,
    published_at {{.Time}} NOT NULL,
    snapshot TEXT NOT NULL,
    html TEXT NOT NULL,
    markdown TEXT NOT NULL,
    csv TEXT NOT NULL,
    pdf TEXT NOT NULL,
    changes TEXT NOT NULL DEFAULT '[]',
    UNIQUE (process_id, number)
);
--bun:split
-- The follow-up committee's record: one row per status change or note, never updated; the
-- latest row of a recommendation is its current status.
CREATE TABLE followup_entries (
    id {{.ID}},
    process_id BIGINT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    contribution_id BIGINT NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    author_id BIGINT REFERENCES participants (id) ON DELETE SET NULL,
    created_at {{.Time}} NOT NULL
);
--bun:split
CREATE INDEX followup_entries_idx ON followup_entries (process_id, contribution_id, id);
