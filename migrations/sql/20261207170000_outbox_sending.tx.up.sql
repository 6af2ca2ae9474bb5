-- What the outbox knows of a message's fate, so that a message the SMTP server accepted is not
-- sent again: sending_at is set when a worker starts talking to the server (an attempt whose
-- outcome is not recorded when its lease ends was cut short: the worker that takes it over
-- knows it may have been accepted), sent_at once the server accepted it, before the row is
-- deleted (a row with sent_at is never claimed again, only swept).
ALTER TABLE outbox ADD COLUMN sending_at {{.Time}};
--bun:split
ALTER TABLE outbox ADD COLUMN sent_at {{.Time}};
