package deliberation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// Refusal codes of the domain: stable, snake_case, translated by the client
// (docs/protocol-commands.md).
const (
	CodeNotAllowed     = "not_allowed"     // the actor's role may not send this command
	CodePhaseClosed    = "phase_closed"    // the current phase does not allow it
	CodePostingLocked  = "posting_locked"  // the moderator has locked posting
	CodeNotFound       = "not_found"       // no such thing in this workshop (for this actor)
	CodeNotOwner       = "not_owner"       // only the author may do this
	CodeTooLong        = "too_long"        // a text (or the whole arguments) is over its limit
	CodeEmpty          = "empty"           // a required text is empty once cleaned
	CodeInvalidArgs    = "invalid_args"    // arguments of the wrong shape, type or value
	CodeUnknownCommand = "unknown_command" // no command of this name
	CodeIDReused       = "id_reused"       // the command id was used for another command
	CodeOverBudget     = "over_budget"     // dots: the person's budget for the phase is spent
	CodeOverItemMax    = "over_item_max"   // dots: more than the maximum on one item
	CodeBadPhase       = "bad_phase"       // the phase named in the arguments is not valid here
	CodeAlreadyMerged  = "already_merged"  // the contribution was merged into another
	CodeBadState       = "bad_state"       // the contribution's status does not allow it
	// CodeInternal is transient: never recorded, so the same command id may be sent again.
	CodeInternal = "internal" // the database refused this command alone (a server bug)
)

// The hub adds its own codes (unavailable, busy, rate_limited…: hub/decode.go); each code is
// defined once, on the side that sends it, and docs/protocol-commands.md and docs/protocol.md
// list them (server's TestDocsNameEveryRefusalCode reads both sides).

// refusal is a rule's answer: the zero value means accepted. Refusals are values, not errors:
// an error always means the database failed.
type refusal struct {
	Code    string
	Message string
}

func (r refusal) ok() bool { return r.Code == "" }

func refuse(code, message string) refusal { return refusal{Code: code, Message: message} }

// maxArgsBytes bounds a command's arguments before they are decoded: the longest legitimate
// command (a step with body, who, how, when, all escaped) is well under it.
const maxArgsBytes = 16 << 10

// maxCommandIDLen bounds the client's command id (a UUID is 36 bytes).
const maxCommandIDLen = 128

// commandSpec is one command: who may send it, how to decode its arguments, what it does.
type commandSpec struct {
	moderator bool
	decode    func(raw json.RawMessage) (any, refusal)
	apply     func(ctx context.Context, b *batch, a Actor, args any) (refusal, error)
}

// spec ties a typed handler to its argument struct, so handlers never type-assert.
func spec[A any](moderator bool, apply func(ctx context.Context, b *batch, a Actor, args *A) (refusal, error)) commandSpec {
	return commandSpec{
		moderator: moderator,
		decode: func(raw json.RawMessage) (any, refusal) {
			args := new(A)
			if f, ok := any(args).(argsAsSent); ok && f.decodeAsSent(raw) {
				return args, refusal{}
			}
			if r := decodeStrict(raw, args); !r.ok() {
				return nil, r
			}
			return args, refusal{}
		},
		apply: func(ctx context.Context, b *batch, a Actor, args any) (refusal, error) {
			return apply(ctx, b, a, args.(*A))
		},
	}
}

// commandSpecs lists every command. A test checks that docs/protocol-commands.md names each.
var commandSpecs = map[string]commandSpec{
	"phase.set":            spec(true, cmdPhaseSet),
	"question.set":         spec(true, cmdQuestionSet),
	"timer.start":          spec(true, cmdTimerStart),
	"timer.pause":          spec(true, cmdTimerPause),
	"timer.resume":         spec(true, cmdTimerResume),
	"timer.extend":         spec(true, cmdTimerExtend),
	"timer.reset":          spec(true, cmdTimerReset),
	"posting.set":          spec(true, cmdPostingSet),
	"identity.set":         spec(true, cmdIdentitySet),
	"premoderation.set":    spec(true, cmdPremoderationSet),
	"results.set":          spec(true, cmdResultsSet),
	"joinpanel.set":        spec(true, cmdJoinPanelSet),
	"groups.set":           spec(true, cmdGroupsSet),
	"vote.method.set":      spec(true, cmdVoteMethodSet),
	"contribution.hide":    spec(true, cmdHide),
	"contribution.restore": spec(true, cmdRestore),
	"contribution.approve": spec(true, cmdApprove),
	"contribution.pin":     spec(true, cmdPin),
	"contribution.merge":   spec(true, cmdMerge),
	"roomcount.record":     spec(true, cmdRoomCount),
	"groups.split":         spec(true, cmdGroupsSplit),
	"groups.move":          spec(true, cmdGroupsMove),
	"groups.rapporteur":    spec(true, cmdGroupsRapporteur),
	"checkin.set":          spec(true, cmdCheckinSet),
	"agenda.next":          spec(true, cmdAgendaNext),
	"agenda.goto":          spec(true, cmdAgendaGoto),
	"rounds.start":         spec(true, cmdRoundsStart),
	"rounds.next":          spec(true, cmdRoundsNext),
	"rounds.stop":          spec(true, cmdRoundsStop),
	"plenary.promote":      spec(true, cmdPromote),
	"plenary.open":         spec(true, cmdPlenaryOpen),
	"plenary.close":        spec(true, cmdPlenaryClose),

	// A moderator's translation of a contribution (rules_translations.go).
	"contribution.translate": spec(true, cmdTranslate),

	"contribution.post":     spec(false, cmdPost),
	"contribution.edit":     spec(false, cmdEdit),
	"contribution.withdraw": spec(false, cmdWithdraw),
	"comment.post":          spec(false, cmdComment),
	"vote.set":              spec(false, cmdVoteSet),
	"vote.clear":            spec(false, cmdVoteClear),
	"checkin.self":          spec(false, cmdCheckinSelf),
	"contribution.mark":     spec(false, cmdMark),
	"plenary.vote":          spec(false, cmdPlenaryVote),
}

// CommandNames returns the name of every command the engine knows.
func CommandNames() []string {
	names := make([]string, 0, len(commandSpecs))
	for n := range commandSpecs {
		names = append(names, n)
	}
	return names
}

// decodeCommand finds a command and decodes its arguments; it never panics on hostile input
// (FuzzDecodeArgs).
func decodeCommand(name string, raw json.RawMessage) (commandSpec, any, refusal) {
	s, ok := commandSpecs[name]
	if !ok {
		return commandSpec{}, nil, refuse(CodeUnknownCommand, "unknown command")
	}
	args, r := s.decode(raw)
	return s, args, r
}

// decodeStrict decodes one JSON object into dst: unknown fields, trailing data and wrong types
// are refused, so that a client bug is seen at once rather than half-applied. Missing or null
// arguments are an empty object.
func decodeStrict(raw json.RawMessage, dst any) refusal {
	if len(raw) > maxArgsBytes {
		return refuse(CodeTooLong, "arguments too large")
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	if raw[0] != '{' {
		return refuse(CodeInvalidArgs, "arguments must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return refuse(CodeInvalidArgs, argsError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return refuse(CodeInvalidArgs, "trailing data after arguments")
	}
	return refusal{}
}

// argsError says what was wrong without echoing the client's values (they may be personal).
func argsError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return "wrong type for field " + typeErr.Field
	}
	if strings.HasPrefix(err.Error(), "json: unknown field") {
		return "unknown field"
	}
	return "malformed arguments"
}

// fingerprint identifies a command's content, so that a resent command id can be told apart
// from an id reused for something else. Arguments are canonicalised (keys sorted, spacing
// dropped) so that the same command re-encoded by another client library still matches.
func fingerprint(name string, raw json.RawMessage) string {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(canonicalJSON(raw))
	return hex.EncodeToString(h.Sum(nil))
}

func canonicalJSON(raw json.RawMessage) []byte {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return []byte("{}")
	}
	if len(raw) > maxArgsBytes {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber() // keep numbers as written: 1 and 1.0 are different commands
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return raw
	}
	out, err := json.Marshal(v) // maps are encoded with sorted keys
	if err != nil {
		return raw
	}
	return out
}

// Arguments of each command. Booleans that must be given are pointers, so that a missing
// field is invalid_args rather than a silent false.
type (
	noArgs       struct{}
	phaseArgs    struct{ Phase record.Phase }
	questionArgs struct {
		Phase record.Phase
		Text  string            // in the process's main language
		Texts map[string]string // the same question in its other languages (language → text)
	}
	secondsArgs  struct{ Seconds int64 }
	lockedArgs   struct{ Locked *bool }
	onArgs       struct{ On *bool }
	hiddenArgs   struct{ Hidden *bool }
	identityArgs struct{ Mode view.IdentityMode }
	methodArgs   struct {
		Phase      record.Phase
		Method     record.VoteMethod
		Budget     int
		MaxPerItem int `json:"maxPerItem"`
	}
	idArgs   struct{ ID int64 }
	hideArgs struct {
		ID     int64
		Reason string
	}
	pinArgs struct {
		ID     int64
		Pinned *bool
	}
	mergeArgs struct {
		From []int64
		Into int64
	}
	roomCountArgs struct {
		Contribution int64
		Label        string
		Yes          int
		Neutral      int
		No           int
	}
	postArgs struct {
		Kind       record.Kind
		Body       string
		Parent     *int64
		Links      []int64
		Who        string
		How        string
		When       string
		OnBehalfOf string `json:"onBehalfOf"`
		Lang       string
	}
	translateArgs struct {
		ID   int64
		Lang string
		Body string
	}
	editArgs struct {
		ID   int64
		Body string
		Who  *string
		How  *string
		When *string
	}
	commentArgs struct {
		Contribution int64
		Body         string
	}
	voteArgs struct {
		Contribution int64
		Value        *int
	}
	voteClearArgs struct{ Contribution int64 }
)
