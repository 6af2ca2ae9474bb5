package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/assises/assises/internal/liveclient"
	"github.com/assises/assises/storage/storagetest"
)

// TestSignOutOnOneNodeClosesSocketsOnTheOther: a person signs out on node A while their
// phone holds a socket on node B. Node B closes that socket (as the revoking node closes its
// own) and refuses the cookie from then on, even though it trusted it from memory while the
// socket was open.
func TestSignOutOnOneNodeClosesSocketsOnTheOther(t *testing.T) {
	if testing.Short() {
		t.Skip("two servers")
	}
	dsn := storagetest.DSN(t, "postgres")
	s := seed(t, dsn)
	a, b, cookies := startCluster(t, dsn, "2s", s.tokens)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	phone := dialNode(ctx, t, b, cookies[1], s.workshop)

	// The same person signs out in a browser served by node A.
	browser := newBrowser(t)
	u, _ := url.Parse(a.base)
	browser.Jar.SetCookies(u, []*http.Cookie{&cookies[1]})
	form := url.Values{"csrf": {formCSRF(t, browser, a.base+"/me")}}
	if status := postForm(t, browser, a.base+"/signout", form); status != http.StatusSeeOther {
		t.Fatalf("sign-out on node A: got %d, want 303", status)
	}

	select {
	case <-phone.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the phone's socket on node B stayed open after its person signed out on node A")
	}
	if _, err := liveclient.Dial(ctx, liveclient.Config{URL: "ws" + strings.TrimPrefix(b.base, "http") + "/ws",
		Origin: b.base, Cookie: cookies[1], Workshop: s.workshop}); err == nil {
		t.Error("node B let the signed-out cookie open a new socket")
	}
}
