-- The notebook in each language (deliberation/notebook, translate.go). Brussels is bilingual:
-- the editorial team translates the texts of the notebook side by side, and a published version
-- is rendered in each of its languages.

-- One translated text of the notebook: a field of the process (title, description), of a theme
-- (title, why, introduction, conclusion) or of a contribution in the body (body, who, how,
-- when). subject_id is 0 for the process. A missing row is a missing translation: the notebook
-- then shows the main language's text with a marker.
CREATE TABLE notebook_translations (
    process_id BIGINT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    subject TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    field TEXT NOT NULL,
    text TEXT NOT NULL,
    updated_at {{.Time}} NOT NULL,
    PRIMARY KEY (process_id, language, subject, subject_id, field)
);
--bun:split
-- The languages a version was published in, main first ("fr,nl"). Versions published before
-- hold only their language.
ALTER TABLE notebook_versions ADD COLUMN languages TEXT NOT NULL DEFAULT '';
--bun:split
-- Every format of a published version in each of its other languages; the main language's
-- are in notebook_versions itself. Never updated, like the version.
CREATE TABLE notebook_version_languages (
    version_id BIGINT NOT NULL REFERENCES notebook_versions (id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    html TEXT NOT NULL,
    markdown TEXT NOT NULL,
    csv TEXT NOT NULL,
    pdf TEXT NOT NULL,
    PRIMARY KEY (version_id, language)
);
