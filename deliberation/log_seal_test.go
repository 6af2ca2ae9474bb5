package deliberation

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/journal"
	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/record"
)

// TestLogPayloadsSealed: in a room that shows names, the stored payload of a post carries no
// name (sealed with the log's key), while votes and tallies are stored plain; EventsAfter
// gives back exactly what the room sent; a reset of the process's logs deletes the keys with
// the events, and what comes after is sealed with a new key of the new epoch.
func TestLogPayloadsSealed(t *testing.T) {
	eachRoom(t, func(t *testing.T, r *room) {
		ctx := context.Background()
		db := r.db
		r.ok(r.mod, "identity.set", map[string]any{"mode": view.IdentityFull})
		r.phase(record.PhaseDiagnostic)
		posted := r.ok(r.alice, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "Les loyers montent."})
		id := int64(data(t, posted.Events[0])["id"].(float64))
		if !strings.Contains(string(posted.Events[0].Data), "Alice Martin") {
			t.Fatalf("the room sent %s: no author label, the test would prove nothing", posted.Events[0].Data)
		}
		voted := r.ok(r.bob, "vote.set", map[string]any{"contribution": id, "value": 1})
		sent := append(append([]Event{}, posted.Events...), voted.Events...)
		sent = append(sent, r.flush(voted)...)

		var stored []record.StoredEvent
		if err := db.NewSelect().Model(&stored).Where("workshop_id = ?", r.w.ID).Order("seq").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, ev := range stored {
			names[ev.Name] = true
			if strings.Contains(ev.Payload, "Alice") || strings.Contains(ev.Payload, "CPAS") {
				t.Errorf("%s (seq %d) is stored with a label in plain text: %s", ev.Name, ev.Seq, ev.Payload)
			}
			if want := journal.SealsPayload(ev.Name); journal.PayloadIsSealed(ev.Payload) != want {
				t.Errorf("%s (seq %d): sealed %v, want %v", ev.Name, ev.Seq, !want, want)
			}
		}
		for _, n := range []string{"contribution.posted", "vote.recorded", "tally.updated"} {
			if !names[n] {
				t.Errorf("no %s in the log: the test would prove nothing about it", n)
			}
		}

		read, err := r.e.EventsAfter(ctx, r.w.ID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		bySeq := map[int64]string{}
		for _, ev := range read {
			bySeq[ev.Seq] = string(ev.Data)
		}
		for _, ev := range sent {
			if got := bySeq[ev.Seq]; got != string(ev.Data) {
				t.Errorf("%s (seq %d) reads back as %s, was sent as %s", ev.Name, ev.Seq, got, ev.Data)
			}
		}
		// A fresh engine (another node, a restart) opens them too.
		if again, err := NewEngine(db, EngineOptions{}).EventsAfter(ctx, r.w.ID, 0, 100); err != nil || len(again) != len(read) {
			t.Errorf("another engine reads %d events, %v; want %d", len(again), err, len(read))
		}
		// Copied onto another row, a sealed payload does not open.
		var post record.StoredEvent
		for _, ev := range stored {
			if ev.Name == "contribution.posted" {
				post = ev
			}
		}
		moved := []record.StoredEvent{post}
		moved[0].Seq += 1000
		if err := journal.OpenStoredEvents(ctx, db, moved); err == nil {
			t.Error("a sealed payload moved to another seq opened")
		}

		var oldKeys []journal.LogKey
		if err := db.NewSelect().Model(&oldKeys).Where("workshop_id = ?", r.w.ID).Scan(ctx); err != nil || len(oldKeys) != 1 {
			t.Fatalf("log keys before reset: %v, %v; want one", oldKeys, err)
		}
		if err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return journal.ResetProcessLogs(ctx, tx, r.proc.ID)
		}); err != nil {
			t.Fatal(err)
		}
		if n := r.count((*journal.LogKey)(nil), "workshop_id = ?", r.w.ID); n != 0 {
			t.Errorf("%d log keys after the reset; want the old epoch's gone", n)
		}
		// The old payload, as a backup or the WAL keeps it, no longer opens.
		if err := journal.OpenStoredEvents(ctx, db, []record.StoredEvent{post}); !errors.Is(err, journal.ErrNoLogKey) {
			t.Errorf("the old post after the reset: %v, want ErrNoLogKey", err)
		}

		// The engine still holds the old epoch's key: the next post must use the new one.
		again := r.ok(r.bob, "contribution.post", map[string]any{"kind": record.KindFinding, "body": "Les charges aussi."})
		var newKeys []journal.LogKey
		if err := db.NewSelect().Model(&newKeys).Where("workshop_id = ?", r.w.ID).Scan(ctx); err != nil || len(newKeys) != 1 {
			t.Fatalf("log keys after a new post: %v, %v; want one", newKeys, err)
		}
		epoch, _ := journal.LogEpoch(ctx, db, r.w.ID)
		if newKeys[0].Epoch != epoch || newKeys[0].LogKey == oldKeys[0].LogKey {
			t.Errorf("new post sealed under epoch %d (the log's is %d), key changed: %v", newKeys[0].Epoch, epoch, newKeys[0].LogKey != oldKeys[0].LogKey)
		}
		read, err = r.e.EventsAfter(ctx, r.w.ID, 0, 100)
		if err != nil || len(read) == 0 || string(read[0].Data) != string(again.Events[0].Data) {
			t.Fatalf("after the reset the log reads %v, %v", read, err)
		}
	})
}

// TestPlainEventsAreKnown: every event stored in plain text is a real event (a typo would
// leave nothing plain, but a renamed event would silently become sealed or stay listed).
func TestPlainEventsAreKnown(t *testing.T) {
	known := map[string]bool{}
	for _, row := range EventAudiences {
		known[row.Name] = true
	}
	for _, name := range journal.PlainEvents() {
		if !known[name] {
			t.Errorf("plainEvents lists %q, which is not in EventAudiences", name)
		}
	}
	for _, name := range []string{"contribution.posted", "contribution.edited", "comment.posted", "groups.members", "identity.changed"} {
		if !journal.SealsPayload(name) {
			t.Errorf("%s is stored plain; it carries names", name)
		}
	}
}
