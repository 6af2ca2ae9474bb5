package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Refusal codes the hub itself produces (the domain adds its own through Outcome.Code).
const (
	CodeBadMessage   = "bad_message"
	CodeUnknownType  = "unknown_type"
	CodeInvalidID    = "invalid_id"
	CodeTooLarge     = "too_large"
	CodeRateLimited  = "rate_limited"
	CodeBusy         = "busy"
	CodeUnavailable  = "unavailable"
	CodeShuttingDown = "shutting_down"
	CodeNotJoined    = "not_joined"
	CodeForbidden    = "forbidden"
	CodeVersion      = "version"
)

// Limits on a decoded client message. maxNameLen keeps command names short enough to log.
const (
	maxNameLen = 64
	maxArgs    = DefaultMaxMessageBytes
)

// ClientMessage is a validated message from a client.
type ClientMessage struct {
	Type     string          // "hello", "command" or "ping"
	V        int             // hello
	Workshop int64           // hello, > 0
	Since    int64           // hello, >= 0; 0 = send a snapshot
	Epoch    int64           // hello, >= 0: the log epoch since belongs to; 0 = none
	ID       string          // command: canonical UUID
	Name     string          // command
	Args     json.RawMessage // command: a JSON object, "{}" when absent or null
}

// ProtocolError is why a client message was refused; Code is one of the Code* constants.
type ProtocolError struct {
	Code   string
	Reason string
}

func (e *ProtocolError) Error() string { return "hub: " + e.Code + ": " + e.Reason }

func protoErr(code, format string, args ...any) error {
	return &ProtocolError{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// wireClientMessage has pointers so that absent and zero can be told apart.
type wireClientMessage struct {
	Type     *string         `json:"type"`
	V        *int            `json:"v"`
	Workshop *int64          `json:"workshop"`
	Since    *int64          `json:"since"`
	Epoch    *int64          `json:"epoch"`
	ID       *string         `json:"id"`
	Name     *string         `json:"name"`
	Args     json.RawMessage `json:"args"`
}

// DecodeClientMessage parses and validates one client frame strictly: a single JSON
// object, valid UTF-8, no unknown or misplaced fields. The error is a *ProtocolError.
// On error the returned message still carries the command id when it was a valid UUID,
// so that the refusal can name the command.
func DecodeClientMessage(b []byte) (ClientMessage, error) {
	if len(b) > 2*DefaultMaxMessageBytes {
		return ClientMessage{}, protoErr(CodeTooLarge, "message of %d bytes", len(b))
	}
	if !utf8.Valid(b) {
		return ClientMessage{}, protoErr(CodeBadMessage, "invalid UTF-8")
	}
	if m, ok := decodeCommandAsSent(b); ok {
		return m, nil
	}
	return decodeAnyMessage(b)
}

// decodeAnyMessage is DecodeClientMessage with encoding/json, for every message.
func decodeAnyMessage(b []byte) (ClientMessage, error) {
	var w wireClientMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return ClientMessage{}, protoErr(CodeBadMessage, "invalid JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return ClientMessage{}, protoErr(CodeBadMessage, "data after the message")
	}
	// Decode accepts "null" as a value for a struct; a message must be an object.
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return ClientMessage{}, protoErr(CodeBadMessage, "not an object")
	}
	if w.Type == nil {
		return ClientMessage{}, protoErr(CodeBadMessage, "missing type")
	}
	m := ClientMessage{Type: *w.Type}
	switch m.Type {
	case "hello":
		return decodeHello(m, &w)
	case "command":
		return decodeCommand(m, &w)
	case "ping":
		if w.V != nil || w.Workshop != nil || w.Since != nil || w.Epoch != nil || w.ID != nil || w.Name != nil || w.Args != nil {
			return ClientMessage{}, protoErr(CodeBadMessage, "ping takes no fields")
		}
		return m, nil
	}
	return ClientMessage{}, protoErr(CodeUnknownType, "unknown type")
}

func decodeHello(m ClientMessage, w *wireClientMessage) (ClientMessage, error) {
	if w.ID != nil || w.Name != nil || w.Args != nil {
		return ClientMessage{}, protoErr(CodeBadMessage, "hello takes v, workshop, since and epoch")
	}
	if w.V == nil || *w.V != ProtocolVersion {
		return ClientMessage{}, protoErr(CodeVersion, "this server speaks version %d", ProtocolVersion)
	}
	if w.Workshop == nil || *w.Workshop <= 0 {
		return ClientMessage{}, protoErr(CodeBadMessage, "workshop must be a positive integer")
	}
	m.V, m.Workshop = *w.V, *w.Workshop
	if w.Since != nil {
		if *w.Since < 0 {
			return ClientMessage{}, protoErr(CodeBadMessage, "since must not be negative")
		}
		m.Since = *w.Since
	}
	if w.Epoch != nil {
		if *w.Epoch < 0 {
			return ClientMessage{}, protoErr(CodeBadMessage, "epoch must not be negative")
		}
		m.Epoch = *w.Epoch
	}
	return m, nil
}

func decodeCommand(m ClientMessage, w *wireClientMessage) (ClientMessage, error) {
	if w.V != nil || w.Workshop != nil || w.Since != nil || w.Epoch != nil {
		return ClientMessage{}, protoErr(CodeBadMessage, "command takes id, name and args")
	}
	if w.ID != nil {
		m.ID = *w.ID // a refusal names the id that was sent, valid or not, so the client can match it
	}
	if w.ID == nil || !validUUID(*w.ID) {
		return m, protoErr(CodeInvalidID, "id must be a UUID")
	}
	if w.Name == nil || !validName(*w.Name) {
		return m, protoErr(CodeBadMessage, "name must be 1 to %d characters among a-z, 0-9, '.', '_' and '-'", maxNameLen)
	}
	m.Name = *w.Name
	args := bytes.TrimSpace(w.Args)
	switch {
	case len(args) == 0 || string(args) == "null": // absent, as the domain documents
		m.Args = json.RawMessage("{}")
	case args[0] != '{':
		return m, protoErr(CodeBadMessage, "args must be an object")
	case len(args) > maxArgs:
		return m, protoErr(CodeTooLarge, "args of %d bytes", len(args))
	default:
		// Copy: the frame buffer is reused by the reader.
		m.Args = append(json.RawMessage(nil), args...)
	}
	return m, nil
}

// commandHead is how the clients (live.js through JSON.stringify, internal/liveclient)
// begin a command: its fields in this order, without spaces.
const commandHead = `{"type":"command","id":"`

// decodeCommandAsSent reads a command written exactly as the clients write it, without
// encoding/json (a third of what the hub spent reading a vote): the id and name need no
// escapes by their rules, and args is checked to be one JSON object. Anything else — other
// spacing or order, escapes, a refusal to make — reports false, and the strict decoder
// decides; FuzzDecodeClientMessage checks that both agree on what this one accepts.
func decodeCommandAsSent(b []byte) (ClientMessage, bool) {
	const idLen = 36
	rest, ok := bytes.CutPrefix(b, []byte(commandHead))
	if !ok || len(rest) < idLen {
		return ClientMessage{}, false
	}
	id := rest[:idLen]
	rest, ok = bytes.CutPrefix(rest[idLen:], []byte(`","name":"`))
	if !ok || !validUUID(string(id)) {
		return ClientMessage{}, false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 || !validName(string(rest[:end])) {
		return ClientMessage{}, false
	}
	name := rest[:end]
	args, ok := bytes.CutPrefix(rest[end:], []byte(`","args":`))
	if !ok || len(args) < 3 || args[len(args)-1] != '}' {
		return ClientMessage{}, false
	}
	args = args[:len(args)-1]
	if args[0] != '{' || args[len(args)-1] != '}' || len(args) > maxArgs || !json.Valid(args) {
		return ClientMessage{}, false
	}
	return ClientMessage{Type: "command", ID: string(id), Name: string(name),
		Args: append(json.RawMessage(nil), args...)}, true
}

// validUUID accepts only the 8-4-4-4-12 hexadecimal form (either case), not the braced,
// URN or undashed spellings: the Backend compares idempotency keys as strings, so a
// client must always resend the exact id it first sent.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

func validName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
