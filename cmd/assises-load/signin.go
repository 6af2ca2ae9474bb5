package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// person is someone signed in: the session cookie a browser would keep, and the workshop
// the invitation landed on.
type person struct {
	cookie   string // "assises_session=…"
	workshop int64
}

// readLinks reads invitation links, one per line (blank lines and # comments skipped).
func readLinks(path string) ([]string, error) {
	return keptLines(path, func(l string) (string, bool) {
		l = strings.TrimSpace(l)
		return l, l != "" && !strings.HasPrefix(l, "#")
	})
}

// keptLines reads a text file and returns the lines keep accepts, as keep rewrites them.
func keptLines(path string, keep func(line string) (string, bool)) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l, ok := keep(sc.Text()); ok {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

// signIn redeems invitation links the way a browser does: GET the link, do not follow the
// redirect, keep the session cookie, read the workshop from the Location (/w/{id}).
func signIn(ctx context.Context, links []string, concurrency int) ([]person, error) {
	hc := &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{MaxIdleConnsPerHost: concurrency},
	}
	defer hc.CloseIdleConnections()
	out := make([]person, len(links))
	errs := make([]error, len(links))
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(1, concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = redeem(ctx, hc, links[i])
			}
		}()
	}
	for i := range links {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("sign in with link %d: %w", i+1, err)
		}
	}
	return out, ctx.Err()
}

func redeem(ctx context.Context, hc *http.Client, link string) (person, error) {
	if err := loopbackOnly(link); err != nil {
		return person{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return person{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return person{}, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return person{}, fmt.Errorf("got HTTP %d, want 303 (link used, expired or revoked?)", resp.StatusCode)
	}
	var p person
	for _, c := range resp.Cookies() {
		if c.Name == "assises_session" && c.Value != "" {
			p.cookie = c.Name + "=" + c.Value
		}
	}
	if p.cookie == "" {
		return person{}, fmt.Errorf("no session cookie in the answer")
	}
	loc := resp.Header.Get("Location")
	if rest, ok := strings.CutPrefix(loc, "/w/"); ok {
		p.workshop, _ = strconv.ParseInt(rest, 10, 64)
	}
	return p, nil
}

// loopbackOnly refuses any target that is not this machine: the generator is a weapon
// against whatever it points at.
func loopbackOnly(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1" {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address: the generator only targets this machine", host)
}
