package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/record"

	"github.com/assises/assises/process"
	"github.com/assises/assises/storage/storagetest"
)

// TestLivePagesHaveNoTestHooks: a server configured as production configures it marks no live
// page for the browser tests, and the product's scripts expose their state (window.assises)
// only on a page so marked (assises serve -test-hooks, which the browser tests pass).
func TestLivePagesHaveNoTestHooks(t *testing.T) {
	s := newSite(t, storagetest.Open(t, "sqlite"))
	ctx := context.Background()
	p := &record.Process{Slug: "p", Title: "P", Capacity: 40, PerOrgCap: 2}
	if err := process.Create(ctx, s.db, p); err != nil {
		t.Fatal(err)
	}
	w := &record.Workshop{ProcessID: p.ID, Title: "Atelier", StartsAt: time.Now(), EndsAt: time.Now().Add(time.Hour)}
	if err := process.CreateWorkshop(ctx, s.db, w); err != nil {
		t.Fatal(err)
	}
	c, _ := s.organiserDesk(t)
	for _, path := range []string{fmt.Sprintf("/w/%d", w.ID), fmt.Sprintf("/w/%d/moderate", w.ID), fmt.Sprintf("/w/%d/projector", w.ID)} {
		resp, body := get(t, c, s.srv.URL+path)
		if resp.StatusCode != 200 || !strings.Contains(body, `id="live"`) {
			t.Fatalf("%s: got %d, want the live page", path, resp.StatusCode)
		}
		if strings.Contains(body, "data-test-hooks") {
			t.Errorf("%s is marked for the browser tests on a production server", path)
		}
	}
	files, err := filepath.Glob("../frontend/static/js/*.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts found: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "window.assises") && !strings.Contains(line, "if (d.testHooks !== undefined) window.assises =") {
				t.Errorf("%s:%d uses window.assises outside the test-hooks guard: %s", filepath.Base(f), i+1, strings.TrimSpace(line))
			}
		}
	}
}
