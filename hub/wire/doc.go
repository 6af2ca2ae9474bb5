// Package wire writes a WebSocket's server side by hand: complete frames, a bounded outbox
// per connection, non-blocking writes on the socket's descriptor, the rest of a frame the
// socket took only part of, the background writer of a backed-up socket, pings and the
// closing handshake. The hub's rooms decide what goes to whom and in which order; this
// package only gets those bytes onto the socket, without a goroutine per idle connection
// and without ever making the caller wait for a client.
//
// The API is narrow: a Conn is offered Entries (Offer; OfferClaimed and WriteClaimed for
// a room handing a large delivery to background writers), the read side queues its own
// (Reply, Pong), and the connection is closed (Close, Terminate, Abort). An Entry is a
// Frame encoded once and shared by a whole audience, or a Payload encoded when written.
//
// # Ownership rules
//
// The socket. After Socket.Attach, the Conn owns the socket's write side: every byte the
// server sends goes through its outbox, the rare frames gorilla/websocket writes by itself
// from the read side included (Socket.Write queues them). gorilla only reads.
//
// The write side. At most one goroutine owns it at a time, recorded by Conn.writing under
// Conn.mu. Only the owner writes to the socket and removes entries from the front of the
// outbox; anyone adds entries at the back, under mu, in the order they were queued, so the
// bytes of two frames never interleave. The owner is one of:
//   - whoever queues an entry into an empty outbox nobody writes: it becomes the owner and
//     writes the entry at once with a non-blocking write (the common case: a tally, an
//     ack; no goroutine is woken), then lets go;
//   - a claim (OfferClaimed): the room queues a delivery's entries and names itself owner
//     with a claim number, then writes them later (WriteClaimed), possibly from a
//     background writer. A claim that has not written yet is taken over by whoever queues
//     next (a later claim, a direct write; the read side hands it to the writer goroutine
//     instead, so that its stack stays small): an ack never waits for a tally's turn;
//   - the writer goroutine, started only when the socket is full, an entry is heavy
//     (a snapshot, a replay: encoded off the caller's goroutine), the transport cannot
//     write without blocking, or the connection closes. It writes with blocking writes
//     under WriteWait and exits when the outbox is empty. An idle connection has no writer.
//
// A partial write. When the socket takes part of a frame, the rest goes at the front of
// the outbox marked partial and is written whatever happens next, even by a terminated
// connection: a frame cut in the middle would corrupt the stream.
//
// Bounds and eviction. Entries of the room count against Options.Queue: past half full,
// Offer drops ephemeral entries (presence) and reports true; when full, it reports false,
// marks the outbox full and refuses everything after: the caller evicts the connection
// (Abort), and the client resumes by sequence. The read side's entries count against a
// small bound of their own (ctlQueue): a peer that floods faster than it reads its own
// refusals is cut.
//
// The flags, all under mu: writing (the write side has an owner), claimedBy (a claim owns
// it and has not written yet; 0 none), full (evict), closeReq (write what is queued, then
// close), quitting (Terminate: write only what must be written, then close), done (the
// close frame is going out or the socket failed: accept nothing). Two atomics are read
// without mu: over (the write side is over; end runs once) and closeSent (gorilla already wrote a
// close frame, so the Conn does not write another).
//
// Closing. Close (the room lets go) writes what is queued, then the close frame. Terminate
// (the read side stopped, a shutdown, a revoked session) drops what the room queued and
// writes only the read side's frames and the rest of a begun frame. Abort also closes the
// socket at once, so that a write stuck on a peer that does not read cannot hold the
// connection. After the close frame the Conn waits up to CloseGrace for the read side to
// finish (so that the peer's close is read and our frames are not lost to a reset),
// closes the socket, and closes Done.
package wire
