package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/people"
	"github.com/assises/assises/storage/storagetest"
)

// TestWrongCodesCountOnEveryNode types wrong personal codes from one address at two nodes in
// turn: the address has one budget of 20 failures, not one per node, so the 21st try is
// refused whichever node it reaches.
func TestWrongCodesCountOnEveryNode(t *testing.T) {
	if testing.Short() {
		t.Skip("two servers")
	}
	dsn := storagetest.DSN(t, "postgres")
	a := startNode(t, dsn, nil, "-cluster")
	b := startNode(t, dsn, nil, "-cluster")
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	waitReady(t, browser, a.base+"/readyz")
	waitReady(t, browser, b.base+"/readyz")
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	try := func(n *node) int {
		t.Helper()
		resp, err := browser.Get(n.base + "/code")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := csrf.FindSubmatch(page)
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("GET /code on %s: %d, want the form", n.base, resp.StatusCode)
		}
		form := url.Values{"csrf": {string(m[1])}, "code": {people.FormatCode(people.NewCode())}}
		resp, err = browser.Post(n.base+"/code", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	limited := 0
	for i := range 30 {
		status := try([]*node{a, b}[i%2])
		if status == http.StatusTooManyRequests {
			limited = i + 1
			break
		}
		if status != http.StatusNotFound {
			t.Fatalf("wrong code %d: got %d, want 404", i+1, status)
		}
	}
	if limited != 21 {
		t.Fatalf("wrong codes over two nodes: refused at try %d, want the 21st (one budget of 20 for the address)", limited)
	}
	for _, n := range []*node{a, b} {
		if status := try(n); status != http.StatusTooManyRequests {
			t.Errorf("after the budget, %s answered %d, want 429", n.base, status)
		}
	}
}
