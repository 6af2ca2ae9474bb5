-- Who may join a session, set by the organiser: 'invitation' (a confirmed place only),
-- 'registered' (anyone registered in the process), 'open' (anyone with the code or the
-- projector's QR, under a pseudonym, no registration). '' follows the process's
-- invitation_required, as before this column.
ALTER TABLE workshops ADD COLUMN access TEXT NOT NULL DEFAULT '';
--bun:split
-- A place taken by joining an open session (not registered beforehand): the notebook counts them apart.
ALTER TABLE registrations ADD COLUMN open_join BOOLEAN NOT NULL DEFAULT {{.False}};
