-- What an organiser wrote in the languages of a process other than its main one (the first
-- of processes.languages): a JSON object language → field → text, e.g.
-- {"nl":{"title":"…","why":"…"}}. The plain columns (title, why, description) keep the
-- main language's text, so that every reader that knows one language reads it unchanged.
ALTER TABLE processes ADD COLUMN translations TEXT NOT NULL DEFAULT '{}';
--bun:split
ALTER TABLE themes ADD COLUMN translations TEXT NOT NULL DEFAULT '{}';
--bun:split
ALTER TABLE workshops ADD COLUMN translations TEXT NOT NULL DEFAULT '{}';
--bun:split
ALTER TABLE agenda_items ADD COLUMN translations TEXT NOT NULL DEFAULT '{}';
