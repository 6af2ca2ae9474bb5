-- The first schema of Assises. Personal data lives in `people` only (DESIGN invariant 9):
-- every other table refers to a pseudonymous participant id, so erasing a person deletes one
-- row and leaves what was said, voted and published untouched.

CREATE TABLE processes (
    id {{.ID}},
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    languages TEXT NOT NULL DEFAULT 'fr,nl,en',
    capacity INTEGER NOT NULL DEFAULT 40,
    per_org_cap INTEGER NOT NULL DEFAULT 2,
    registration_deadline {{.Time}},
    invitation_required BOOLEAN NOT NULL DEFAULT {{.True}},
    created_at {{.Time}} NOT NULL
);
--bun:split
CREATE TABLE themes (
    id {{.ID}},
    process_id BIGINT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    why TEXT NOT NULL DEFAULT ''
);
--bun:split
CREATE INDEX themes_process_idx ON themes (process_id, position);
--bun:split
CREATE TABLE workshops (
    id {{.ID}},
    process_id BIGINT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    theme_id BIGINT REFERENCES themes (id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    starts_at {{.Time}} NOT NULL,
    ends_at {{.Time}} NOT NULL,
    place TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL UNIQUE,
    capacity INTEGER NOT NULL DEFAULT 0,
    phase TEXT NOT NULL DEFAULT 'lobby',
    state TEXT NOT NULL DEFAULT '{}',
    last_seq BIGINT NOT NULL DEFAULT 0,
    created_at {{.Time}} NOT NULL
);
--bun:split
CREATE INDEX workshops_process_idx ON workshops (process_id, starts_at);
--bun:split
CREATE TABLE agenda_items (
    id {{.ID}},
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    phase TEXT NOT NULL DEFAULT '',
    planned_minutes INTEGER NOT NULL DEFAULT 0
);
--bun:split
CREATE INDEX agenda_items_workshop_idx ON agenda_items (workshop_id, position);
--bun:split
CREATE TABLE organisations (
    id {{.ID}},
    process_id BIGINT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    UNIQUE (process_id, name_key)
);
--bun:split
CREATE TABLE participants (
    id {{.ID}},
    process_id BIGINT REFERENCES processes (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    organisation_id BIGINT REFERENCES organisations (id) ON DELETE SET NULL,
    erased_at {{.Time}},
    created_at {{.Time}} NOT NULL
);
--bun:split
CREATE INDEX participants_process_idx ON participants (process_id);
--bun:split
CREATE TABLE people (
    participant_id BIGINT PRIMARY KEY REFERENCES participants (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    language TEXT NOT NULL DEFAULT 'fr',
    service_user BOOLEAN NOT NULL DEFAULT {{.False}},
    attribution_consent BOOLEAN NOT NULL DEFAULT {{.False}},
    created_at {{.Time}} NOT NULL
);
--bun:split
CREATE TABLE workshop_roles (
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    participant_id BIGINT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (workshop_id, participant_id)
);
--bun:split
CREATE TABLE registrations (
    id {{.ID}},
    process_id BIGINT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    participant_id BIGINT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    checked_in_at {{.Time}},
    created_at {{.Time}} NOT NULL,
    updated_at {{.Time}} NOT NULL,
    UNIQUE (workshop_id, participant_id)
);
--bun:split
CREATE INDEX registrations_workshop_status_idx ON registrations (workshop_id, status, id);
--bun:split
CREATE TABLE invitations (
    id {{.ID}},
    participant_id BIGINT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    workshop_id BIGINT REFERENCES workshops (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    single_use BOOLEAN NOT NULL DEFAULT {{.False}},
    expires_at {{.Time}} NOT NULL,
    used_at {{.Time}},
    revoked_at {{.Time}},
    created_at {{.Time}} NOT NULL
);
--bun:split
CREATE TABLE auth_sessions (
    token_hash TEXT PRIMARY KEY,
    participant_id BIGINT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    expires_at {{.Time}} NOT NULL,
    revoked_at {{.Time}},
    created_at {{.Time}} NOT NULL
);
--bun:split
CREATE TABLE breakout_groups (
    id {{.ID}},
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    colour TEXT NOT NULL,
    created_at {{.Time}} NOT NULL
);
--bun:split
CREATE TABLE group_members (
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    participant_id BIGINT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES breakout_groups (id) ON DELETE CASCADE,
    rapporteur BOOLEAN NOT NULL DEFAULT {{.False}},
    PRIMARY KEY (workshop_id, participant_id)
);
--bun:split
CREATE TABLE contributions (
    id {{.ID}},
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    author_id BIGINT REFERENCES participants (id) ON DELETE SET NULL,
    on_behalf_of TEXT NOT NULL DEFAULT '',
    group_id BIGINT REFERENCES breakout_groups (id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    phase TEXT NOT NULL,
    body TEXT NOT NULL,
    parent_id BIGINT REFERENCES contributions (id) ON DELETE SET NULL,
    who TEXT NOT NULL DEFAULT '',
    how TEXT NOT NULL DEFAULT '',
    when_text TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    hidden_reason TEXT NOT NULL DEFAULT '',
    merged_into BIGINT REFERENCES contributions (id) ON DELETE SET NULL,
    pinned BOOLEAN NOT NULL DEFAULT {{.False}},
    version INTEGER NOT NULL DEFAULT 1,
    created_at {{.Time}} NOT NULL,
    updated_at {{.Time}} NOT NULL
);
--bun:split
CREATE INDEX contributions_workshop_idx ON contributions (workshop_id, id);
--bun:split
CREATE TABLE contribution_links (
    from_id BIGINT NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    to_id BIGINT NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    PRIMARY KEY (from_id, to_id)
);
--bun:split
CREATE TABLE contribution_revisions (
    id {{.ID}},
    contribution_id BIGINT NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    editor_id BIGINT REFERENCES participants (id) ON DELETE SET NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    who TEXT NOT NULL DEFAULT '',
    how TEXT NOT NULL DEFAULT '',
    when_text TEXT NOT NULL DEFAULT '',
    created_at {{.Time}} NOT NULL
);
--bun:split
CREATE INDEX contribution_revisions_idx ON contribution_revisions (contribution_id, version);
--bun:split
CREATE TABLE comments (
    id {{.ID}},
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    contribution_id BIGINT NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    author_id BIGINT REFERENCES participants (id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at {{.Time}} NOT NULL
);
--bun:split
CREATE INDEX comments_contribution_idx ON comments (contribution_id, id);
--bun:split
CREATE TABLE votes (
    contribution_id BIGINT NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    participant_id BIGINT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    method TEXT NOT NULL,
    value INTEGER NOT NULL,
    updated_at {{.Time}} NOT NULL,
    PRIMARY KEY (contribution_id, participant_id)
);
--bun:split
CREATE INDEX votes_workshop_participant_idx ON votes (workshop_id, participant_id);
--bun:split
CREATE TABLE room_counts (
    id {{.ID}},
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    contribution_id BIGINT NOT NULL REFERENCES contributions (id) ON DELETE CASCADE,
    label TEXT NOT NULL DEFAULT '',
    yes_count INTEGER NOT NULL DEFAULT 0,
    neutral_count INTEGER NOT NULL DEFAULT 0,
    no_count INTEGER NOT NULL DEFAULT 0,
    recorded_by BIGINT REFERENCES participants (id) ON DELETE SET NULL,
    created_at {{.Time}} NOT NULL
);
--bun:split
CREATE TABLE events (
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    name TEXT NOT NULL,
    audience TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at {{.Time}} NOT NULL,
    PRIMARY KEY (workshop_id, seq)
);
--bun:split
CREATE TABLE commands (
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    command_id TEXT NOT NULL,
    participant_id BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,
    seq BIGINT NOT NULL DEFAULT 0,
    code TEXT NOT NULL DEFAULT '',
    created_at {{.Time}} NOT NULL,
    PRIMARY KEY (workshop_id, command_id)
);
