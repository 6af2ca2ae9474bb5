package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/internal/stack"
	"github.com/assises/assises/record"
)

const hostile = `<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">x</a>` + "\u202e" + `gnp.exe`

// TestHostileTextIsInert (docs/security.md, item 8): hostile text in a workshop's title and a person's
// name is escaped in the server's pages (never markup), the CSP forbids inline script, and a
// contribution's hostile body travels as plain text, unchanged, never turned into markup.
func TestHostileTextIsInert(t *testing.T) {
	s := stack.New(t, "sqlite", stack.Options{})
	w := s.Workshop(t, "Atelier "+hostile)
	p := s.Join(t, "Nom "+hostile, "Org", record.RoleModerator, w)
	req, _ := http.NewRequest("GET", s.Server.URL+"/w/"+strconv.FormatInt(w.ID, 10), nil)
	req.AddCookie(&p.Cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if resp.StatusCode != 200 {
		t.Fatalf("participant page: %d", resp.StatusCode)
	}
	for _, bad := range []string{"<script>alert", "<img src=x", `onerror="alert`, `href="javascript:`} {
		if strings.Contains(page, bad) {
			t.Errorf("the participant page contains live markup %q", bad)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the hostile title is not shown escaped in the page")
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "object-src 'none'") {
		t.Errorf("CSP %q does not forbid inline script", csp)
	}
	c := connectReady(t, s, p, w)
	stack.MustDo(t, c, "phase.set", map[string]any{"phase": "diagnostic"})
	out := stack.MustDo(t, c, "contribution.post", map[string]any{"kind": "finding", "body": hostile})
	e, err := c.WaitEvent(stack.Ctx(t), func(m liveclient.Message) bool { return m.Name == "contribution.posted" && m.Seq <= out.Seq })
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ Body string }
	json.Unmarshal(e.Data, &d)
	// Bidi overrides are stripped by the domain's text rules (TestCleanText); the rest stays
	// text, for the client to render with textContent.
	if !strings.Contains(d.Body, "<script>alert(1)</script>") {
		t.Errorf("the body was altered into something else than text: %q", d.Body)
	}
}

// TestTwoTabsCountOnce (docs/security.md, item 10): one person with two tabs is one participant
// online, one voter, and the turnout never exceeds 100 %.
func TestTwoTabsCountOnce(t *testing.T) {
	stack.Each(t, stack.Options{}, func(t *testing.T, s *stack.Stack) {
		w := s.Workshop(t, "Onglets")
		mod := connectReady(t, s, s.Join(t, "M", "Org M", record.RoleModerator, w), w)
		stack.MustDo(t, mod, "phase.set", map[string]any{"phase": "diagnostic"})
		out := stack.MustDo(t, mod, "contribution.post", map[string]any{"kind": "finding", "body": "Constat"})
		item := lastEventID(t, mod, out.Seq)
		p := s.Join(t, "P", "Org P", record.RoleParticipant, w)
		tab1, tab2 := connectReady(t, s, p, w), connectReady(t, s, p, w)
		stack.MustDo(t, tab1, "vote.set", map[string]any{"contribution": item, "value": 1})
		stack.MustDo(t, tab2, "vote.set", map[string]any{"contribution": item, "value": 1})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for {
			pr := mod.Presence()
			var last struct {
				Items []struct {
					Contribution  int64
					Count, Voters int
				}
				Turnout struct{ Voters, Participants int }
			}
			for _, e := range mod.Events() {
				if e.Name == "tally.updated" {
					json.Unmarshal(e.Data, &last)
				}
			}
			// Two people online — the moderator and P — over three sockets; P is the one
			// participant.
			if pr.Online == 2 && pr.ByRole["participant"] == 1 && len(last.Items) == 1 && last.Items[0].Count == 1 && last.Items[0].Voters == 1 &&
				last.Turnout.Voters == 1 && last.Turnout.Voters <= last.Turnout.Participants {
				return
			}
			if ctx.Err() != nil {
				t.Fatalf("two tabs: presence %v online %d, tally %+v (want two people online, one participant, one voter, turnout ≤ 100 %%)", pr.ByRole, pr.Online, last)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
