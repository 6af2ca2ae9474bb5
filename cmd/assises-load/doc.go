// Command assises-load drives many real WebSocket participants against a running Assises
// server, speaking the documented protocol (docs/protocol.md), and measures what they see:
// connect time, acknowledgement latency, fan-out latency, lost or repeated events, durable
// votes per second, and the server's memory and CPU.
//
//	assises-load -spawn -scenario votes -n 2000 -rate 2000 -duration 20s
//	assises-load -spawn -db postgres://postgres@127.0.0.1:5432/test -scenario reconnect -n 10000
//	assises-load -url http://127.0.0.1:8080 -links links.txt -moderator-link URL -pid 1234 -scenario idle
//
// It only targets loopback addresses, every phase is bounded, and it stops by itself.
// Several processes can share one run (-shard i/n, -start-at); -merge combines their JSON.
// -update-doc refreshes the generated part of docs/performance.md (make bench), which says
// how the figures of the baseline were obtained.
package main
