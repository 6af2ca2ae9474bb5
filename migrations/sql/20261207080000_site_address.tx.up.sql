-- Where the running server can be reached (its public URL, or http://localhost:<the port it
-- really listens on>), written at every start, so that `assises admin link` and `admin invite`
-- print links that open, whatever -addr the server was started with.
CREATE TABLE site_addresses (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    updated_at {{.Time}} NOT NULL
);
