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
	browser := newBrowser(t)
	waitReady(t, browser, a.base+"/readyz")
	waitReady(t, browser, b.base+"/readyz")
	try := func(n *node) int {
		t.Helper()
		form := url.Values{"csrf": {formCSRF(t, browser, n.base+"/code")}, "code": {people.FormatCode(people.NewCode())}}
		return postForm(t, browser, n.base+"/code", form)
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

// newBrowser is a client that keeps cookies, as a browser does, and does not follow redirects.
func newBrowser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// formCSRF reads the form token of the page at u.
func formCSRF(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("GET %s: %d, want a form", u, resp.StatusCode)
	}
	return string(m[1])
}

// postForm posts a form as a page of the site does and returns the status.
func postForm(t *testing.T, c *http.Client, u string, form url.Values) int {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
