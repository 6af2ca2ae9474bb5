-- The network address a join request came from (an IPv4 address or an IPv6 /64, as the rate
-- limits count it), so that one address cannot fill a session's queue. It goes with the row:
-- as soon as the request is settled or expires.
ALTER TABLE join_requests ADD COLUMN source TEXT NOT NULL DEFAULT '';
