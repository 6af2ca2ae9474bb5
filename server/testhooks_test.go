package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assises/assises/server/sitetest"
)

// TestLivePagesHaveNoTestHooks: a server configured as production configures it marks no live
// page for the browser tests, and the product's scripts expose their state (window.assises)
// only on a page so marked (assises serve -test-hooks, which the browser tests pass).
func TestLivePagesHaveNoTestHooks(t *testing.T) {
	s := sitetest.OnSQLite(t)
	w := s.SessionUnderWay(t)
	c, _ := s.OrganiserDesk(t)
	for _, path := range []string{fmt.Sprintf("/w/%d", w.ID), fmt.Sprintf("/w/%d/moderate", w.ID), fmt.Sprintf("/w/%d/projector", w.ID)} {
		resp, body := sitetest.Get(t, c, s.Server.URL+path)
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
