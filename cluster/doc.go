// Package cluster lets several nodes serve the same workshops on one PostgreSQL: a hub.Bus
// over LISTEN/NOTIFY (Bus), the lease that gives each workshop's ticks to exactly one node
// (Leases), each node's presence counts for the others (presence), and each person's
// sockets on every node, so that their cap counts them all (Sockets). The hub stays
// ignorant of how: it sees a Bus and a Leases, and the database log stays the only
// reliable source of events — a notification is a cue to read it, never the data.
//
// docs/deploy.md says how to run several nodes, docs/protocol.md what a notification holds.
package cluster
