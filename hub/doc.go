// Package hub runs the live rooms of Assises: one room per live workshop, the WebSocket
// connections in it, the ordered fan-out of committed events, resume after a reconnect,
// presence, and the bus that tells other nodes a workshop moved on.
//
// The hub knows sequence numbers and audiences, never what a proposal or a vote is: every
// rule and every write lives behind the Backend interface, implemented by the domain. The
// database log is the only reliable source of events; the in-memory ring, the bus and the
// fan-out are accelerators that can always be rebuilt from it.
//
// Concurrency shape (see DESIGN.md, "Invariants"):
//   - one goroutine per room owns its state (members, viewers, ring, presence);
//   - one committer goroutine per room turns queued commands into Backend.Execute batches
//     (group commit) and hands results to the room in commit order;
//   - one goroutine per idle connection, its read pump. The join and each message other
//     than a ping run on two small fixed pools of the hub while the pump waits (read.go),
//     never on a goroutine of their own;
//   - writes go through each connection's outbox, package wire, which writes a frame at
//     once with a non-blocking write and starts a writer goroutine only while the socket
//     is backed up; its comment states who may write when. Frames are encoded once per
//     audience as complete WebSocket frames;
//   - the room is the only one that orders what a joined connection gets; it queues a
//     delivery's frames and has each member's written in one system call, by background
//     writers for a whole-room tally, which a later ack overtakes (fanout.go: flushOut);
//   - a Backend that is a FlushPreparer counts a tally's votes while the room's commands
//     go on committing (committer.go);
//   - slow side work (snapshots, log catch-up) runs in a small worker pool;
//   - someone who left a room moments ago rejoins without asking the Backend again who
//     they are (rejoin.go), so that a whole room coming back is not a database storm.
//
// The wire protocol is documented in docs/protocol.md.
package hub
