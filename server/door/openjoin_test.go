package door_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/process"
	"github.com/assises/assises/server/sitetest"
	"github.com/assises/assises/storage/storagetest"
)

// TestOpenSessionJoin: the projector's QR of an open session gives any phone a form that asks
// only for a pseudonym; posting it lets the phone into the session. The room's capacity and
// the join rate per address bound it; a session on invitation keeps its old answer.
func TestOpenSessionJoin(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		// The server's clock stands still: the join rate per address refills with time, and the
		// count must not depend on how fast this machine is.
		frozen := time.Now()
		s := sitetest.New(t, db, sitetest.Options{Now: func() time.Time { return frozen }})
		f := sitetest.NewFixture(t, db)
		w := f.Small // one place
		qr := s.Server.URL + "/j/" + w.Code

		// On invitation: no pseudonym form.
		if _, body := sitetest.Get(t, s.Client(t), qr); strings.Contains(body, `name="pseudonym"`) {
			t.Fatalf("a session on invitation offers the pseudonym form")
		}
		w.Access = "open"
		if err := process.UpdateWorkshop(ctx, db, w); err != nil {
			t.Fatal(err)
		}

		phone := s.Client(t)
		resp, body := sitetest.Get(t, phone, qr)
		if resp.StatusCode != 200 || !strings.Contains(body, `name="pseudonym"`) || !strings.Contains(body, "Atelier emploi") {
			t.Fatalf("the QR of an open session: got %d, want the pseudonym form of the session", resp.StatusCode)
		}
		sitetest.NoInline(t, "open join form", body)
		token := sitetest.FormToken(t, phone, qr)
		join := func(c *http.Client, token, pseudonym string) (*http.Response, string) {
			return sitetest.PostForm(t, c, s.Server.URL+"/join/open", url.Values{"csrf": {token}, "code": {w.Code}, "pseudonym": {pseudonym}})
		}
		attempts := 0
		if resp, _ := join(phone, token, "   "); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("empty pseudonym: got %d, want 400", resp.StatusCode)
		}
		attempts++
		resp, _ = join(phone, token, "Zoé la rouge")
		attempts++
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != fmt.Sprintf("/w/%d", w.ID) {
			t.Fatalf("open join: got %d to %q, want 303 to the session", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, _ := sitetest.Get(t, phone, fmt.Sprintf("%s/w/%d", s.Server.URL, w.ID)); resp.StatusCode != 200 {
			t.Fatalf("the session's page after an open join: got %d, want 200", resp.StatusCode)
		}
		// Scanning again from the same phone goes straight in.
		if resp, _ := sitetest.Get(t, phone, qr); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("the QR again on a phone already in: got %d, want 303", resp.StatusCode)
		}

		// One place: the next phone is told the room is full, and keeps what it typed.
		other := s.Client(t)
		resp, body = join(other, sitetest.FormToken(t, other, qr), "Bram")
		attempts++
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "La salle est complète") || !strings.Contains(body, `value="Bram"`) {
			t.Fatalf("a full room: got %d, want 409 saying so with the pseudonym kept", resp.StatusCode)
		}
		// Without the form's token: refused, nobody created.
		if resp, _ := join(s.Client(t), "", "Script"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("no token: got %d, want 403", resp.StatusCode)
		}

		// Every join from one address counts: past 300 in ten minutes, 429.
		token = sitetest.FormToken(t, other, qr)
		for ; attempts < 300; attempts++ {
			if resp, _ := join(other, token, "Bram"); resp.StatusCode != http.StatusConflict {
				t.Fatalf("attempt %d: got %d, want 409 (full) until the limit", attempts+1, resp.StatusCode)
			}
		}
		if resp, _ := join(other, token, "Bram"); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Errorf("attempt 301 from one address: got %d, want 429 with Retry-After", resp.StatusCode)
		}
	})
}
